"""User-segmentation service: domain logic, DynamoDB data layer and HTTP helpers."""
