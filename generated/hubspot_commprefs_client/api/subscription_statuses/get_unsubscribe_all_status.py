from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.action_response_with_results_public_wide_status import ActionResponseWithResultsPublicWideStatus
from ...models.channel import Channel
from ...models.error import Error
from ...models.rate_limit_exceeded import RateLimitExceeded
from ...types import UNSET, Response, Unset


def _get_kwargs(
    subscriber_id_string: str,
    *,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
    verbose: bool | Unset = False,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_channel = channel.value
    params["channel"] = json_channel

    params["businessUnitId"] = business_unit_id

    params["verbose"] = verbose

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/communication-preferences/2026-03/statuses/{subscriber_id_string}/unsubscribe-all".format(
            subscriber_id_string=quote(str(subscriber_id_string), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded:
    if response.status_code == 200:
        response_200 = ActionResponseWithResultsPublicWideStatus.from_dict(response.json())

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
) -> Response[ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded]:
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
    verbose: bool | Unset = False,
) -> Response[ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded]:
    """Retrieve a contact's unsubscribed status

     Tells whether the contact opted out of all email, portal-wide or for one business unit.
    `results` is empty when the contact has not opted out of all email.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):
        verbose (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded]
    """

    kwargs = _get_kwargs(
        subscriber_id_string=subscriber_id_string,
        channel=channel,
        business_unit_id=business_unit_id,
        verbose=verbose,
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
    verbose: bool | Unset = False,
) -> ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded | None:
    """Retrieve a contact's unsubscribed status

     Tells whether the contact opted out of all email, portal-wide or for one business unit.
    `results` is empty when the contact has not opted out of all email.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):
        verbose (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded
    """

    return sync_detailed(
        subscriber_id_string=subscriber_id_string,
        client=client,
        channel=channel,
        business_unit_id=business_unit_id,
        verbose=verbose,
    ).parsed


async def asyncio_detailed(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
    verbose: bool | Unset = False,
) -> Response[ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded]:
    """Retrieve a contact's unsubscribed status

     Tells whether the contact opted out of all email, portal-wide or for one business unit.
    `results` is empty when the contact has not opted out of all email.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):
        verbose (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded]
    """

    kwargs = _get_kwargs(
        subscriber_id_string=subscriber_id_string,
        channel=channel,
        business_unit_id=business_unit_id,
        verbose=verbose,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    subscriber_id_string: str,
    *,
    client: AuthenticatedClient | Client,
    channel: Channel,
    business_unit_id: int | Unset = UNSET,
    verbose: bool | Unset = False,
) -> ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded | None:
    """Retrieve a contact's unsubscribed status

     Tells whether the contact opted out of all email, portal-wide or for one business unit.
    `results` is empty when the contact has not opted out of all email.

    Args:
        subscriber_id_string (str):
        channel (Channel): A communication channel.
        business_unit_id (int | Unset):
        verbose (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionResponseWithResultsPublicWideStatus | Error | RateLimitExceeded
    """

    return (
        await asyncio_detailed(
            subscriber_id_string=subscriber_id_string,
            client=client,
            channel=channel,
            business_unit_id=business_unit_id,
            verbose=verbose,
        )
    ).parsed
