/** The process environment every test file starts from: no real AWS, quiet Powertools. */
export function applyTestEnvironment(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCAL';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.POWERTOOLS_DEV ??= 'false';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}
