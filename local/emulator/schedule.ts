/**
 * EventBridge schedule expressions for the local timer: `rate(n unit)` and the `cron(...)` forms
 * the Keyless rules use (fixed or `*` minutes and hours, every day). Times are UTC, as in AWS.
 */

export class UnsupportedScheduleError extends Error {
  constructor(expression: string) {
    super(`Schedule expression not supported locally: ${expression}`);
    this.name = 'UnsupportedScheduleError';
  }
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The next time strictly after `after` (epoch ms) at which the schedule fires. */
export function nextScheduleTime(expression: string, after: number): number {
  const rate = RATE.exec(expression);
  if (rate) {
    const unit = (rate[2] as string).replace(/s$/, '') as keyof typeof UNIT_MS;
    return after + Number(rate[1]) * UNIT_MS[unit];
  }
  const cron = CRON.exec(expression);
  if (!cron) throw new UnsupportedScheduleError(expression);
  const [, minutes, hours, dayOfMonth, month, dayOfWeek, year] = cron as unknown as string[];
  const everyDay =
    (dayOfMonth === '*' || dayOfMonth === '?') &&
    month === '*' &&
    (dayOfWeek === '*' || dayOfWeek === '?') &&
    year === '*';
  const field = (value: string | undefined, max: number) => {
    if (value === '*') return null;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > max)
      throw new UnsupportedScheduleError(expression);
    return number;
  };
  if (!everyDay) throw new UnsupportedScheduleError(expression);
  const minute = field(minutes, 59);
  const hour = field(hours, 23);
  // Walk minute by minute over at most a day: simple and exact for these forms.
  const start = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let time = start; time <= start + UNIT_MS.day; time += 60_000) {
    const date = new Date(time);
    if (
      (minute === null || date.getUTCMinutes() === minute) &&
      (hour === null || date.getUTCHours() === hour)
    ) {
      return time;
    }
  }
  throw new UnsupportedScheduleError(expression);
}
