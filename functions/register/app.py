"""POST /auth/register: mint a user id that no call has used."""

from aws_lambda_powertools.event_handler import Response

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import IdResponse, responses
from segmentation.domain.users import register_user

app = create_resolver()


@app.post(
    "/auth/register",
    summary="Register a user",
    description="Mints a user id that no call has used.",
    tags=["Users"],
    operation_id="register",
    responses=responses(201, IdResponse, "The new user id"),
)
def register() -> Response[str]:
    return json_response(201, IdResponse(id=register_user()))


lambda_handler = lambda_handler_for(app)
