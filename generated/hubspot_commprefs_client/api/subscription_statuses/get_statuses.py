from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.action_response_with_results_public_status import ActionResponseWithResultsPublicStatus
from ...models.channel import Channel
from ...models.error import Error
from ...models.rate_limit_exceeded import RateLimitExceeded
from ...types import UNSET, Response, Unset


def _get_kwargs(
    subscriber_id_string: str,
    *,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_channel = channel.value
    params["channel"] = json_channel

    params["businessUnitId"] = business_unit_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/communication-preferences/2026-03/statuses/{subscriber_id_string}".format(
            subscriber_id_string=quote(str(subscriber_id_string), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded:
    if response.status_code == 200:
        response_200 = ActionResponseWithResultsPublicStatus.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = RateLimitExceeded.from_dict(response.json())

        return response_429

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
) -> Response[ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded]:
    """Get subscription preferences for a specific contact

     Returns the contact's status for every subscription type of the portal (or of one business
    unit), on the given channel.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded]
    """

    kwargs = _get_kwargs(
        subscriber_id_string=subscriber_id_string,
        channel=channel,
        business_unit_id=business_unit_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
) -> ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded | None:
    """Get subscription preferences for a specific contact

     Returns the contact's status for every subscription type of the portal (or of one business
    unit), on the given channel.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded
    """

    return sync_detailed(
        subscriber_id_string=subscriber_id_string,
        client=client,
        channel=channel,
        business_unit_id=business_unit_id,
    ).parsed


async def asyncio_detailed(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
) -> Response[ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded]:
    """Get subscription preferences for a specific contact

     Returns the contact's status for every subscription type of the portal (or of one business
    unit), on the given channel.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded]
    """

    kwargs = _get_kwargs(
        subscriber_id_string=subscriber_id_string,
        channel=channel,
        business_unit_id=business_unit_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
) -> ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded | None:
    """Get subscription preferences for a specific contact

     Returns the contact's status for every subscription type of the portal (or of one business
    unit), on the given channel.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionResponseWithResultsPublicStatus | Error | RateLimitExceeded
    """

    return (
        await asyncio_detailed(
            subscriber_id_string=subscriber_id_string,
            client=client,
            channel=channel,
            business_unit_id=business_unit_id,
        )
    ).parsed
