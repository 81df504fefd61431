/** Runs before each test file's modules load: point every AWS SDK client at local stand-ins. */
import { inject } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';

const endpoint = inject('dynamoEndpoint');
process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCAL';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
