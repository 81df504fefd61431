import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** Created once per execution environment; endpoint from AWS_ENDPOINT_URL(_EVENTBRIDGE) when set. */
export const eventBridgeClient = new EventBridgeClient({});
