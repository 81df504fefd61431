import { describe, expect, it } from 'vitest';
import { layerOf, layerOfAccessDenied } from '#shared/permissions/denial.ts';

describe('layerOf', () => {
  it.each([
    [{ decision: 'allowed' }, undefined],
    [{ decision: 'explicitDeny', allowedByOrganizations: false }, 'scp-deny'],
    [{ decision: 'implicitDeny', allowedByOrganizations: false }, 'scp-no-allow'],
    [
      { decision: 'explicitDeny', allowedByOrganizations: true, allowedByPermissionsBoundary: false },
      'boundary-deny',
    ],
    [{ decision: 'implicitDeny', allowedByPermissionsBoundary: false }, 'boundary-no-allow'],
    [{ decision: 'explicitDeny' }, 'identity-deny'],
    [{ decision: 'implicitDeny' }, 'identity-no-allow'],
    [{ decision: 'implicitDeny', missingContextValues: ['aws:ResourceTag/team'] }, 'unknown'],
  ] as const)('reads %j as %s', (result, layer) => {
    expect(layerOf(result)).toBe(layer);
  });
});

describe('layerOfAccessDenied', () => {
  const prefix =
    'User: arn:aws:sts::111122223333:assumed-role/R/s is not authorized to perform: ce:GetCostAndUsage on resource: *';
  it.each([
    [`${prefix} with an explicit deny in a service control policy`, 'scp-deny'],
    [`${prefix} because no service control policy allows the ce:GetCostAndUsage action`, 'scp-no-allow'],
    [`${prefix} with an explicit deny in a permissions boundary`, 'boundary-deny'],
    [`${prefix} because no permissions boundary allows the ce:GetCostAndUsage action`, 'boundary-no-allow'],
    [`${prefix} with an explicit deny in an identity-based policy`, 'identity-deny'],
    [`${prefix} because no identity-based policy allows the ce:GetCostAndUsage action`, 'identity-no-allow'],
    [prefix, 'unknown'],
  ])('reads the layer AWS names in "%s"', (message, layer) => {
    expect(layerOfAccessDenied(message)).toBe(layer);
  });
});
