"""DynamoDB data layer: PynamoDB models, queries and transactions. Knows no HTTP."""
