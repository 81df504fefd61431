import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern } from '#local/emulator/event-pattern.ts';
import { DETAIL_TYPES, EVENT_SOURCE } from '#shared/events/catalog.ts';
import { RULES } from '#shared/events/rules.ts';

const loadEvent = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../events/local/${name}`, import.meta.url), 'utf8'));

/** The sample event of the EventBridge user guide's content-filtering page. */
const ec2Event = () => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
  },
});

describe('matchesEventPattern', () => {
  describe('exact values', () => {
    it('matches when every key matches one of its values', () => {
      // Prepare
      const pattern = { source: ['aws.ec2'], detail: { state: ['running', 'terminated'] } };
      // Act / Assess
      expect(matchesEventPattern(pattern, ec2Event())).toBe(true);
    });

    it('does not match when one key of the pattern differs (keys are ANDed)', () => {
      const pattern = { source: ['aws.ec2'], detail: { state: ['running'] } };
      expect(matchesEventPattern(pattern, ec2Event())).toBe(false);
    });

    it('does not match a field the event lacks', () => {
      expect(matchesEventPattern({ detail: { missing: ['x'] } }, ec2Event())).toBe(false);
    });

    it('matches numbers by value and never a string that spells them', () => {
      expect(matchesEventPattern({ detail: { 'c-count': [5] } }, ec2Event())).toBe(true);
      expect(matchesEventPattern({ detail: { 'c-count': ['5'] } }, ec2Event())).toBe(false);
    });

    it('matches null and the empty string only when the event holds them', () => {
      const event = { detail: { eventVersion: '', responseElements: null } };
      expect(matchesEventPattern({ detail: { eventVersion: [''], responseElements: [null] } }, event)).toBe(
        true,
      );
      expect(matchesEventPattern({ detail: { absent: [null] } }, event)).toBe(false);
    });

    it('is case-sensitive', () => {
      expect(matchesEventPattern({ source: ['AWS.EC2'] }, ec2Event())).toBe(false);
    });
  });

  describe('arrays in events', () => {
    it('matches when the pattern and the event array intersect', () => {
      const event = {
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:x'],
      };
      expect(matchesEventPattern({ resources: ['arn:aws:ec2:x', 'arn:aws:ec2:y'] }, event)).toBe(true);
      expect(matchesEventPattern({ resources: ['arn:aws:ec2:y'] }, event)).toBe(false);
    });

    it('matches a nested pattern against any object of an event array', () => {
      const event = { detail: { items: [{ kind: 'a' }, { kind: 'b' }] } };
      expect(matchesEventPattern({ detail: { items: { kind: ['b'] } } }, event)).toBe(true);
      expect(matchesEventPattern({ detail: { items: { kind: ['c'] } } }, event)).toBe(false);
    });
  });

  describe('prefix and suffix', () => {
    it('matches the documented time prefix', () => {
      expect(matchesEventPattern({ time: [{ prefix: '2017-12-22' }] }, ec2Event())).toBe(true);
      expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, ec2Event())).toBe(false);
    });

    it('matches a prefix regardless of case with equals-ignore-case', () => {
      const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
      expect(matchesEventPattern(pattern, { detail: { service: 'eventbridge' } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { service: 'sqs' } })).toBe(false);
    });

    it('matches the documented .png suffix, and ignoring case when asked', () => {
      expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
      expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
      const ignoringCase = { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] };
      expect(matchesEventPattern(ignoringCase, { FileName: 'image.PNG' })).toBe(true);
    });

    it('never matches a number with a string filter', () => {
      expect(matchesEventPattern({ detail: { 'c-count': [{ prefix: '5' }] } }, ec2Event())).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any value besides the one named', () => {
      expect(
        matchesEventPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event()),
      ).toBe(true);
      expect(matchesEventPattern({ detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2Event())).toBe(
        false,
      );
    });

    it('matches any number besides the one named, and excludes lists of strings or numbers', () => {
      expect(matchesEventPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2Event())).toBe(
        true,
      );
      const strings = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
      expect(matchesEventPattern(strings, ec2Event())).toBe(true);
      expect(matchesEventPattern(strings, { detail: { state: 'stopped' } })).toBe(false);
      const numbers = { detail: { 'c-count': [{ 'anything-but': [100, 200, 5] }] } };
      expect(matchesEventPattern(numbers, ec2Event())).toBe(false);
    });

    it('excludes by prefix, suffix, ignoring case and wildcard', () => {
      const event = { detail: { state: 'initializing', FileName: 'a.txt', FilePath: '/usr/lib/x' } };
      expect(
        matchesEventPattern({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event),
      ).toBe(false);
      expect(matchesEventPattern({ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, event)).toBe(
        true,
      );
      expect(
        matchesEventPattern({ detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, event),
      ).toBe(false);
      const ignoreCase = {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'INITIALIZING'] } }] },
      };
      expect(matchesEventPattern(ignoreCase, event)).toBe(false);
      expect(
        matchesEventPattern({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, event),
      ).toBe(false);
      expect(
        matchesEventPattern({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/bin/*' } }] } }, event),
      ).toBe(true);
    });

    it('does not match a field the event lacks', () => {
      expect(matchesEventPattern({ detail: { absent: [{ 'anything-but': 'x' }] } }, ec2Event())).toBe(false);
    });
  });

  describe('numeric', () => {
    it('matches the documented ranges', () => {
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };
      expect(matchesEventPattern(pattern, ec2Event())).toBe(true);
    });

    it('does not match outside the range or a non-number', () => {
      expect(matchesEventPattern({ detail: { 'c-count': [{ numeric: ['>', 5] }] } }, ec2Event())).toBe(false);
      expect(matchesEventPattern({ detail: { state: [{ numeric: ['>', 0] }] } }, ec2Event())).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches a present leaf with true and an absent one with false', () => {
      expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, ec2Event())).toBe(true);
      expect(matchesEventPattern({ detail: { state: [{ exists: false }] } }, ec2Event())).toBe(false);
      expect(matchesEventPattern({ detail: { 'no-such': [{ exists: false }] } }, ec2Event())).toBe(true);
      expect(matchesEventPattern({ detail: { 'no-such': [{ exists: true }] } }, ec2Event())).toBe(false);
    });

    it('treats an object as no leaf, and a missing parent as an absent leaf', () => {
      expect(matchesEventPattern({ detail: [{ exists: true }] }, ec2Event())).toBe(false);
      expect(matchesEventPattern({ other: { leaf: [{ exists: false }] } }, ec2Event())).toBe(true);
    });
  });

  describe('equals-ignore-case, wildcard and cidr', () => {
    it('matches the detail-type regardless of case', () => {
      const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
      expect(matchesEventPattern(pattern, ec2Event())).toBe(true);
    });

    it('matches the documented wildcards and honours an escaped star', () => {
      const busArn = { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/keyless' };
      expect(
        matchesEventPattern(
          { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
          busArn,
        ),
      ).toBe(true);
      expect(matchesEventPattern({ EventBusArn: [{ wildcard: 'arn:aws:events:eu-*:*' }] }, busArn)).toBe(
        false,
      );
      expect(matchesEventPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'a*b' })).toBe(true);
      expect(matchesEventPattern({ name: [{ wildcard: 'a\\*b' }] }, { name: 'axxb' })).toBe(false);
      expect(matchesEventPattern({ name: [{ wildcard: 'a.b' }] }, { name: 'axb' })).toBe(false);
    });

    it('matches an IP address inside the CIDR block', () => {
      expect(matchesEventPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2Event())).toBe(
        true,
      );
      expect(matchesEventPattern({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2Event())).toBe(
        false,
      );
      expect(matchesEventPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8::1' })).toBe(true);
    });
  });

  describe('$or', () => {
    it('matches when any alternative matches (the documented numeric example)', () => {
      const pattern = {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      };
      expect(matchesEventPattern(pattern, { detail: { 'd-count': 3 } })).toBe(true);
      expect(matchesEventPattern(pattern, { detail: { 'd-count': 30 } })).toBe(false);
    });

    it('combines $or at the top level with the other keys', () => {
      const pattern = { source: ['aws.ec2'], $or: [{ region: ['us-east-1'] }, { region: ['us-west-1'] }] };
      expect(matchesEventPattern(pattern, ec2Event())).toBe(true);
      expect(matchesEventPattern({ ...pattern, source: ['aws.s3'] }, ec2Event())).toBe(false);
    });
  });

  describe('invalid patterns', () => {
    it.each([
      [{ source: 'aws.ec2' }],
      [{ source: [] }],
      [{ source: [{ regex: '.*' }] }],
      [{ detail: { n: [{ numeric: ['>>', 1] }] } }],
      [{ $or: [{ source: ['a'] }] }],
    ])('rejects %j', (pattern) => {
      expect(() => matchesEventPattern(pattern, ec2Event())).toThrow(InvalidEventPatternError);
    });
  });

  describe('the Keyless rule patterns', () => {
    const keylessEvent = (detailType: string) => ({
      source: EVENT_SOURCE,
      'detail-type': detailType,
      detail: { customerId: 'acme', accountId: '111122223333', version: 1, correlationId: 'c' },
    });

    it('routes Role Registered to the validator and nothing else to it', () => {
      expect(
        matchesEventPattern(RULES.roleRegistered.pattern, keylessEvent(DETAIL_TYPES.roleRegistered)),
      ).toBe(true);
      expect(
        matchesEventPattern(RULES.roleRegistered.pattern, keylessEvent(DETAIL_TYPES.roleValidated)),
      ).toBe(false);
    });

    it('routes Integration Stack Deleted to revocation', () => {
      expect(
        matchesEventPattern(RULES.stackDeleted.pattern, keylessEvent(DETAIL_TYPES.integrationStackDeleted)),
      ).toBe(true);
    });

    it('routes a forwarded DELETE_COMPLETE stack status change to revocation', () => {
      const event = loadEvent('stack-status-change-delete-complete.json');
      expect(matchesEventPattern(RULES.stackDeleted.pattern, event)).toBe(true);
    });

    it('ignores a stack status change that is not a deletion', () => {
      const event = loadEvent('stack-status-change-delete-complete.json');
      (event.detail as { 'status-details': { status: string } })['status-details'].status = 'UPDATE_COMPLETE';
      expect(matchesEventPattern(RULES.stackDeleted.pattern, event)).toBe(false);
    });

    it('ignores a Keyless-looking event from another source', () => {
      const event = { ...keylessEvent(DETAIL_TYPES.integrationStackDeleted), source: 'customer.forged' };
      expect(matchesEventPattern(RULES.stackDeleted.pattern, event)).toBe(false);
    });
  });
});
