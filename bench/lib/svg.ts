import type { Chart } from './common';

/**
 * A grouped bar chart as a standalone SVG string: no dependency, small enough to commit, readable
 * on GitHub. Bars are labelled with their values; the scale starts at 0.
 */

const WIDTH = 640;
const BAR_AREA_HEIGHT = 200;
const TOP = 40;
const LEFT = 50;
const BOTTOM = 60;
const COLORS = ['#9aa5b1', '#2b6cb0', '#e07b39', '#38a169', '#805ad5'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function label(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function barChartSvg(chart: Chart): string {
  const max = niceMax(Math.max(...chart.groups.flatMap((g) => g.bars.map((b) => b.value))));
  const plotWidth = WIDTH - LEFT - 20;
  const groupWidth = plotWidth / Math.max(1, chart.groups.length);
  const barNames = [...new Set(chart.groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const barWidth = Math.min(48, (groupWidth * 0.8) / Math.max(1, barNames.length));
  const height = TOP + BAR_AREA_HEIGHT + BOTTOM;
  const y = (value: number) => TOP + BAR_AREA_HEIGHT - (value / max) * BAR_AREA_HEIGHT;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    parts.push(
      `<line x1="${LEFT}" x2="${WIDTH - 20}" y1="${y(value)}" y2="${y(value)}" stroke="#e2e8f0"/>`,
      `<text x="${LEFT - 6}" y="${y(value) + 4}" text-anchor="end" fill="#4a5568">${label(value)}</text>`,
    );
  }
  parts.push(
    `<text x="12" y="${TOP + BAR_AREA_HEIGHT / 2}" transform="rotate(-90 12 ${TOP + BAR_AREA_HEIGHT / 2})" text-anchor="middle" fill="#4a5568">${escape(chart.unit)}</text>`,
  );
  chart.groups.forEach((group, g) => {
    const x0 = LEFT + g * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, b) => {
      const color = COLORS[barNames.indexOf(bar.label) % COLORS.length];
      const x = x0 + b * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(TOP + BAR_AREA_HEIGHT - y(bar.value)).toFixed(1)}" fill="${color}"/>`,
        `<text x="${(x + (barWidth - 4) / 2).toFixed(1)}" y="${(y(bar.value) - 3).toFixed(1)}" text-anchor="middle">${label(bar.value)}</text>`,
      );
    });
    parts.push(
      `<text x="${(LEFT + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${TOP + BAR_AREA_HEIGHT + 16}" text-anchor="middle">${escape(group.label)}</text>`,
    );
  });
  barNames.forEach((name, i) => {
    const x = LEFT + i * 120;
    parts.push(
      `<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${x + 16}" y="${height - 12}">${escape(name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
