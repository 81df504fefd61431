// The migration chart, drawn by uPlot: connections still on access keys at the end of each day (a
// line) and connections migrated that day (bars). The same numbers are in a table beside it, for
// the keyboard and for screen readers; the canvas itself is an image with a summary.
import uPlot from 'uplot';
import { h, table } from './dom.js';

const DAY = 86_400;
const seconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;
const dayOf = (time) => new Date(time * 1000).toISOString().slice(0, 10);
const MAX_WIDTH = 768;
const HEIGHT = 260;

function options(width) {
  const style = getComputedStyle(document.documentElement);
  const colour = (name) => style.getPropertyValue(name).trim();
  const axis = {
    stroke: colour('--quiet'),
    font: `12px ${style.fontFamily}`,
    grid: { stroke: colour('--line'), width: 1 },
    ticks: { stroke: colour('--line'), width: 1 },
  };
  return {
    width,
    height: HEIGHT,
    // Days are UTC days, as the report counts them.
    tzDate: (time) => uPlot.tzDate(new Date(time * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true, range: (_chart, min, max) => [min - DAY / 2, max + DAY / 2] },
      y: { range: (_chart, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
    },
    axes: [
      axis,
      { ...axis, size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
    ],
    series: [
      { label: 'Day', value: (_chart, time) => (time == null ? '—' : dayOf(time)) },
      {
        label: 'Migrated that day',
        stroke: colour('--good'),
        fill: colour('--good'),
        width: 1,
        paths: uPlot.paths.bars({ size: [0.6, 48] }),
        points: { show: false },
      },
      { label: 'Still on access keys at the end of the day', stroke: colour('--accent'), width: 3 },
    ],
    cursor: { drag: { x: false, y: false, setScale: false } },
    legend: { live: true },
  };
}

/** The figure: uPlot draws into it once it is laid out, and follows its width from then on. */
export function migrationChart(days) {
  const first = days[0];
  const last = days.at(-1);
  const migrated = days.reduce((sum, day) => sum + day.migrated, 0);
  const summary =
    first && last
      ? `Connections on access keys: ${first.remaining} on ${first.day}, ${last.remaining} on ${last.day}; ${migrated} migrated in the range.`
      : 'No days in the range.';
  const plot = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': 'Chart of the connections on access keys and those migrated, per day',
  });
  const figure = h(
    'figure',
    {},
    h('figcaption', { id: 'chart-summary' }, summary),
    plot,
    h(
      'details',
      {},
      h('summary', {}, 'The numbers per day'),
      table(
        'Connections on access keys and migrated, per day',
        ['Day', 'On access keys', 'Migrated', 'Reminded'],
        days.map((day) =>
          h(
            'tr',
            {
              'data-day': day.day,
              'data-remaining': day.remaining,
              'data-migrated': day.migrated,
            },
            h('td', {}, day.day),
            h('td', {}, day.remaining),
            h('td', {}, day.migrated),
            h('td', {}, day.reminded),
          ),
        ),
      ),
    ),
  );
  const data = [
    days.map((day) => seconds(day.day)),
    days.map((day) => day.migrated),
    days.map((day) => day.remaining),
  ];
  let chart;
  const resized = new ResizeObserver(() => {
    if (!plot.isConnected) return resized.disconnect();
    const width = Math.min(MAX_WIDTH, Math.floor(figure.clientWidth));
    if (width <= 0) return;
    if (!chart) chart = new uPlot(options(width), data, plot);
    else if (chart.width !== width) chart.setSize({ width, height: HEIGHT });
  });
  resized.observe(figure);
  return figure;
}
