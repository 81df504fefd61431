/**
 * The synthesized dashboard against the code: every widget's metric must be one a function really
 * emits — its name found in an `addMetric` (or countWithDimension) call of a module that function's
 * factory reaches, in the namespace the functions publish to, with exactly the dimensions that call
 * carries. A renamed metric, a moved call or a dropped dimension breaks this test. And every
 * function is traced: X-Ray active tracing in the stack, Keyless's X-Ray tracer around the handler.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '#infra/constructs/keyless-function.ts';
import { DIMENSIONS, METRIC_NAMES, METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/metrics.ts';
import { FUNCTION_NAMES, FUNCTIONS } from '#shared/wiring/function-catalogue.ts';
import { buildTestApp } from './support.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

// --- What the code emits, read from its source. ---

const SOURCE_ROOTS = ['shared', 'functions', 'packages/broker/src'];
const sourceFiles = SOURCE_ROOTS.flatMap(function walk(dir: string): string[] {
  const full = path.join(REPOSITORY_ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? walk(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
});
const source = new Map(
  sourceFiles.map((file) => [file, readFileSync(path.join(REPOSITORY_ROOT, file), 'utf8')]),
);

/** A metric-name argument: a string literal, or METRIC_NAMES.x (or a ternary of literals). */
function namesIn(argument: string): string[] {
  const constants = [...argument.matchAll(/METRIC_NAMES\.(\w+)/g)].map(
    ([, key]) => METRIC_NAMES[key as keyof typeof METRIC_NAMES],
  );
  const literals = [...argument.matchAll(/'([A-Za-z]+)'/g)].map(([, name]) => name!);
  return [...constants, ...literals];
}

/** Every metric each source file emits, with the dimensions beside `service` it emits it with. */
const emitted = new Map<string, { file: string; extra: string[] }[]>();
for (const [file, text] of source) {
  for (const [, argument] of text.matchAll(/\.addMetric\(\s*([^,]+),/g)) {
    for (const name of namesIn(argument!))
      emitted.set(name, [...(emitted.get(name) ?? []), { file, extra: [] }]);
  }
  for (const [, nameArgument, dimensionArgument] of text.matchAll(
    /countWithDimension\(\s*\w+,\s*([^,]+),\s*DIMENSIONS\.(\w+)/g,
  )) {
    const dimension = DIMENSIONS[dimensionArgument as keyof typeof DIMENSIONS];
    for (const name of namesIn(nameArgument!))
      emitted.set(name, [...(emitted.get(name) ?? []), { file, extra: [dimension] }]);
  }
}

/** The files a module imports: relative paths, the #shared/ and #functions/ aliases, @keyless/broker. */
function importsOf(file: string): string[] {
  const text = source.get(file) ?? '';
  return [...text.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].flatMap(([, a, b]) => {
    const specifier = a ?? b ?? '';
    if (specifier.startsWith('.')) return [path.normalize(path.join(path.dirname(file), specifier))];
    if (specifier.startsWith('#shared/')) return [path.join('shared', specifier.slice('#shared/'.length))];
    if (specifier.startsWith('#functions/'))
      return [path.join('functions', specifier.slice('#functions/'.length))];
    if (specifier === '@keyless/broker') return ['packages/broker/src/index.ts'];
    return [];
  });
}

function reachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file) || !source.has(file)) continue;
    seen.add(file);
    pending.push(...importsOf(file));
  }
  return seen;
}
const reachable = Object.fromEntries(
  FUNCTION_NAMES.map((name) => [name, reachableFrom(path.join('functions', name, 'factory.ts'))]),
);

/** The dimension sets a function's metric is emitted with ([] = `service` alone). */
function emissionsBy(service: string, metricName: string): string[][] {
  return (emitted.get(metricName) ?? [])
    .filter(({ file }) => reachable[service]?.has(file))
    .map(({ extra }) => extra);
}

// --- What the dashboard shows, read from the synthesized template. ---

interface Widget {
  type: string;
  properties: { title: string; metrics?: unknown[][] };
}
let widgets: Widget[];
let lambdas: Resource[];
let queueLogicalIds: string[];

beforeAll(() => {
  const template = buildTestApp().template().toJSON() as { Resources: Record<string, Resource> };
  const resources = Object.entries(template.Resources);
  const dashboards = resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  // The body is an Fn::Join of text and references (region, queue names): references become their logical id.
  const [, parts] = (dashboards[0]![1].Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
    'Fn::Join'
  ];
  const body = parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : `REF:${String((part as { Ref?: string; 'Fn::GetAtt'?: string[] }).Ref ?? (part as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])}`,
    )
    .join('');
  widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
  lambdas = resources
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([, r]) => r)
    .filter((r) => String(r.Properties.FunctionName ?? '').startsWith('keyless-test-'));
  queueLogicalIds = resources.filter(([, r]) => r.Type === 'AWS::SQS::Queue').map(([id]) => id);
});

/** A metric line of a widget: [namespace, name, dim, value, …, options?] or [{ expression }]. */
function parseLine(line: unknown[]) {
  const options =
    line.at(-1) && typeof line.at(-1) === 'object' ? (line.at(-1) as Record<string, unknown>) : {};
  const values = line.filter((part) => typeof part === 'string') as string[];
  const [namespace, metricName, ...pairs] = values;
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
  return { namespace, metricName, dimensions, expression: options.expression as string | undefined };
}

const widgetLines = () =>
  widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).map((line) => ({ title: widget.properties.title, ...parseLine(line) })),
  );

describe('the operations dashboard', () => {
  it('finds the metrics the code emits (the scan itself works)', () => {
    expect(emissionsBy('role-validator', 'RoleValidated')).toEqual([[]]);
    expect(emissionsBy('role-validator', METRIC_NAMES.onboardingFailed)).toEqual([[DIMENSIONS.reasonClass]]);
    expect(emissionsBy('revocation', 'RoleValidated')).toEqual([]);
  });

  it('has a widget for each thing the on-call engineer looks at', () => {
    const titles = widgets.map((widget) => widget.properties.title).join('\n');
    for (const topic of [
      /Onboardings: started, completed, failed/,
      /failures by reason class/,
      /Validation latency/,
      /Revocations/,
      /Credential vends/,
      /STS errors by code/,
      /CloudFormation answers not delivered/,
      /still on access keys/,
      /DLQ depth/,
    ])
      expect(titles).toMatch(topic);
  });

  it('shows only Keyless metrics that the named function emits, with the dimensions it emits them with', () => {
    const lines = widgetLines().filter((line) => line.namespace === METRICS_NAMESPACE);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      const { [SERVICE_DIMENSION]: service, ...extra } = line.dimensions;
      const what = `${line.title}: ${line.metricName} (${service})`;
      expect(service, what).toBeDefined();
      const emissions = emissionsBy(service!, line.metricName!);
      expect(emissions, `${what} is not emitted by ${service}`).not.toEqual([]);
      expect(
        emissions.map((dims) => [...dims].sort()),
        what,
      ).toContainEqual(Object.keys(extra).sort());
    }
  });

  it('searches across workers only for metrics the broker wiring emits, with their dimensions', () => {
    const searches = widgetLines().filter((line) => line.expression);
    expect(searches.length).toBe(2);
    for (const { expression, title } of searches) {
      const [, schema, metricName] = /^SEARCH\('\{([^}]+)\} MetricName="(\w+)"'/.exec(expression!) ?? [];
      const [namespace, ...dimensions] = (schema ?? '').split(',');
      expect(namespace, title).toBe(METRICS_NAMESPACE);
      expect(dimensions[0], title).toBe(SERVICE_DIMENSION);
      const emissions = emitted.get(metricName!) ?? [];
      expect(emissions, `${title}: ${metricName}`).not.toEqual([]);
      expect(
        emissions.map(({ extra }) => extra),
        title,
      ).toContainEqual(dimensions.slice(1));
      // The broker's metrics reach a deployed function: the example worker emits them.
      expect(emissionsBy('example-worker', metricName!), title).not.toEqual([]);
    }
  });

  it("plots the depth of every asynchronous function's failed-invocations queue", () => {
    const dlq = widgets.find((widget) => /DLQ depth/.test(widget.properties.title))!;
    const plotted = (dlq.properties.metrics ?? []).map(parseLine);
    const asyncFunctions = FUNCTION_NAMES.filter((name) => FUNCTIONS[name].invocation === 'async');
    expect(plotted).toHaveLength(asyncFunctions.length);
    for (const line of plotted) {
      expect(line).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible' });
      const queue = line.dimensions.QueueName?.replace(/^REF:/, '') ?? '';
      expect(queueLogicalIds.some((id) => queue.startsWith(id))).toBe(true);
    }
  });

  it('reads the namespace every function publishes to, as the service its factory names', () => {
    for (const fn of lambdas) {
      const { Variables } = fn.Properties.Environment as { Variables: Record<string, unknown> };
      expect(Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    }
    for (const name of FUNCTION_NAMES) {
      expect(source.get(path.join('functions', name, 'factory.ts'))).toContain(`createMetrics('${name}')`);
    }
  });
});

describe('tracing', () => {
  it('turns on X-Ray active tracing for every function', () => {
    expect(lambdas).toHaveLength(FUNCTION_NAMES.length);
    for (const fn of lambdas) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it("wraps every handler's whole middleware chain in the platform's tracer (its capture of the clients: test/shared/wiring/platform.test.ts)", () => {
    for (const name of FUNCTION_NAMES) {
      const factory = source.get(path.join('functions', name, 'factory.ts')) ?? '';
      expect(factory, name).toMatch(/return platform\.tracer\.traceHandler\(\s*middy</);
    }
  });
});
