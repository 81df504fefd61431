import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderTemplate } from '../../../shared/customer-template/cli.ts';
import { buildCustomerTemplate } from '../../../shared/customer-template/template.ts';

const env = { PROVIDER_ACCOUNT_ID: '111111111111' };
const expected = buildCustomerTemplate({
  providerAccountId: '111111111111',
  stage: 'prod',
  regions: ['eu-west-1', 'us-east-1'],
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

  it('refuses to guess the provider account', () => {
    expect(() => renderTemplate(['--format', 'json'], {})).toThrow(/--account or PROVIDER_ACCOUNT_ID/);
  });

  it('refuses an unknown format', () => {
    expect(() => renderTemplate(['--format', 'xml'], env)).toThrow(/--format must be json or yaml/);
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
