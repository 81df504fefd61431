/**
 * The setup API's routes as data, the one list of them: the CDK stack gives each its API Gateway
 * route, the local API forwards only these to the function, and setupApiRoutes attaches a handler
 * to each by name. Paths are API Gateway path templates (`{customerId}`), verbatim.
 */
import type { RouteDefinition } from '../http/router.ts';

export const SETUP_API_ROUTES = [
  { name: 'createSetup', method: 'POST', path: '/setups' },
  // Onboarding without CloudFormation (docs/architecture.md §9.6).
  { name: 'getSetup', method: 'GET', path: '/setups/{setupId}' },
  { name: 'registerRole', method: 'POST', path: '/setups/{setupId}/registrations' },
  { name: 'listConnections', method: 'GET', path: '/customers/{customerId}/connections' },
  {
    name: 'revokeConnection',
    method: 'POST',
    path: '/customers/{customerId}/connections/{accountId}/revoke',
  },
  // Offboarding a whole organization at once (docs/architecture.md §9.7).
  {
    name: 'revokeOrganization',
    method: 'POST',
    path: '/customers/{customerId}/organizations/{organizationId}/revoke',
  },
  {
    name: 'rotateExternalId',
    method: 'POST',
    path: '/customers/{customerId}/connections/{accountId}/rotate',
  },
  // The operators' reads (docs/architecture.md §10).
  { name: 'getCustomerSummary', method: 'GET', path: '/customers/{customerId}' },
  { name: 'listAudit', method: 'GET', path: '/customers/{customerId}/audit' },
  { name: 'getMigrationReport', method: 'GET', path: '/migration' },
] as const satisfies readonly RouteDefinition[];

export type SetupApiRouteName = (typeof SETUP_API_ROUTES)[number]['name'];
