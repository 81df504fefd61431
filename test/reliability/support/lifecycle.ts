/**
 * The lifecycle logic wired by hand (not through the handlers), for fault injection: the real
 * store on DynamoDB Local, the real publisher, answer sender and role prover, a fake clock whose
 * sleeps take no time, and a Powertools logger and metrics whose output the test reads.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { STSClient } from '@aws-sdk/client-sts';
import { vi } from 'vitest';
import { localResponseUrlPolicy } from '#local/emulator/response-receiver.ts';
import { createAnswerSender } from '#shared/cloudformation/answer.ts';
import { createEventPublisher } from '#shared/events/publisher.ts';
import { createRegistrationHandler } from '#shared/onboarding/registration.ts';
import { createRevoker } from '#shared/onboarding/revocation.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createValidator } from '#shared/onboarding/validation.ts';
import type { ConnectionStore } from '#shared/store/connection-store.ts';

export function fakeClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    date: () => new Date(now),
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

export function wireLifecycle({ store, localOrigin }: { store: ConnectionStore; localOrigin: string }) {
  const clock = fakeClock();
  const logger = new Logger({ serviceName: 'keyless-reliability', logLevel: 'DEBUG' });
  const metrics = new Metrics({ namespace: 'KeylessReliability', serviceName: 'keyless-reliability' });
  const added: string[] = [];
  vi.spyOn(metrics, 'addMetric').mockImplementation((name) => {
    added.push(name);
    return metrics;
  });
  const policy = localResponseUrlPolicy(localOrigin);
  const answers = createAnswerSender({ policy, sleep: clock.sleep });
  const publisher = createEventPublisher({
    client: new EventBridgeClient({}),
    busName: 'keyless-reliability',
    sleep: clock.sleep,
  });
  const prover = createRoleProver({ sts: new STSClient({}), now: clock.now, sleep: clock.sleep });
  const common = { store, publisher, logger, metrics, now: clock.date };
  return {
    clock,
    metricsAdded: added,
    registration: createRegistrationHandler({ ...common, answers, responseUrlPolicy: policy }),
    validator: createValidator({ ...common, answers, prover }),
    revoker: createRevoker(common),
  };
}
