/** Runs before each test file's modules load: point every AWS SDK client at local stand-ins. */
import { inject } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { applyTestEnvironment } from './support/test-environment.ts';

const endpoint = inject('dynamoEndpoint');
process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
applyTestEnvironment();
