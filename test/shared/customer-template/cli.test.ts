import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MISSING_ACCOUNT_HINT, renderTemplate } from '#shared/customer-template/cli.ts';
import { buildCustomerTemplate } from '#shared/customer-template/template.ts';
import { loadProviderConfig, parseProviderConfig } from '#shared/provider-config/load.ts';

/** The repository's provider config with other deployment settings. */
const withDeployment = (deployment: Record<string, unknown>) =>
  parseProviderConfig({ ...loadProviderConfig(), deployment });

const env = { PROVIDER_ACCOUNT_ID: '111111111111' };
const provider = loadProviderConfig();
const expected = buildCustomerTemplate({
  providerAccountId: '111111111111',
  stage: 'prod',
  regions: ['eu-west-1', 'us-east-1'],
  providerName: provider.providerName,
  permissions: provider.permissions,
});

describe('the template command', () => {
  it('renders the generated template as JSON', () => {
    const text = renderTemplate(
      ['--format', 'json', '--stage', 'prod', '--regions', 'eu-west-1,us-east-1'],
      env,
    );
    expect(JSON.parse(text)).toEqual(expected);
  });

  it('renders the same template as YAML', () => {
    const text = renderTemplate(
      ['--format', 'yaml', '--stage', 'prod', '--regions', 'eu-west-1,us-east-1'],
      env,
    );
    expect(parse(text)).toEqual(expected);
  });

  it('takes the account from --account before the environment', () => {
    const text = renderTemplate(
      ['--account', '999999999999', '--stage', 'prod', '--regions', 'us-east-1'],
      env,
    );
    expect(text).toContain('arn:aws:iam::999999999999:root');
  });

  it('refuses to guess the provider account, and says exactly how to give it', () => {
    expect(() => renderTemplate(['--format', 'json'], {}, withDeployment({}))).toThrow(MISSING_ACCOUNT_HINT);
    expect(MISSING_ACCOUNT_HINT).toContain('npm run -s template -- --format json --account 123456789012');
  });

  it('takes the account from providerAccountId in the provider config when nothing else names it', () => {
    const text = renderTemplate(
      ['--format', 'json', '--regions', 'us-east-1'],
      {},
      withDeployment({ providerAccountId: '222222222222' }),
    );
    expect(text).toContain('arn:aws:iam::222222222222:root');
  });

  it('prefers PROVIDER_ACCOUNT_ID to the provider config, and the context to the CDK CLI account', () => {
    const context = withDeployment({ providerAccountId: '222222222222' });
    const args = ['--regions', 'us-east-1'];
    expect(renderTemplate(args, { PROVIDER_ACCOUNT_ID: '333333333333' }, context)).toContain(
      'arn:aws:iam::333333333333:root',
    );
    expect(renderTemplate(args, { CDK_DEFAULT_ACCOUNT: '444444444444' }, context)).toContain(
      'arn:aws:iam::222222222222:root',
    );
  });

  it('ships a keyless.config.json whose providerAccountId is blank, so nothing trusts a sample account', () => {
    expect(loadProviderConfig().deployment.providerAccountId).toBe('');
  });

  it('refuses an unknown format', () => {
    expect(() => renderTemplate(['--format', 'xml'], env)).toThrow(
      /--format must be json, yaml or terraform/,
    );
  });

  it('prints the template to stdout and nothing else, and errors to stderr', async () => {
    const run = promisify(execFile);
    const cli = ['--import', 'tsx', 'shared/customer-template/cli.ts'];
    const { stdout, stderr } = await run(
      process.execPath,
      [...cli, '--format', 'json', '--regions', 'us-east-1'],
      {
        env: { ...process.env, ...env },
      },
    );
    expect(JSON.parse(stdout).Resources.KeylessRegistration.Type).toBe('Custom::KeylessRegistration');
    expect(stderr).toBe('');
    const failed = run(process.execPath, [...cli, '--format', 'json'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    await expect(failed).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/--account/),
    });
  });
});
