/** `npm run test:unit`'s setup: the environment of test/setup.ts, without a DynamoDB Local. */
import 'aws-sdk-client-mock-vitest/extend';
import { applyTestEnvironment } from './support/test-environment.ts';

applyTestEnvironment();
