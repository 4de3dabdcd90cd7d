import { formatTick, linearTicks, logTicks, renderLineChart } from './svg-plot';

describe('svg-plot', () => {
  it('linear ticks are round and cover the range', () => {
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(3, 47, 4)).toEqual([20, 40]);
    expect(linearTicks(3, 47, 8)).toEqual([10, 20, 30, 40]);
  });

  it('log ticks are the decades inside the range', () => {
    expect(logTicks(0.1, 100)).toEqual([0.1, 1, 10, 100]);
    expect(logTicks(0.05, 50)).toEqual([0.1, 1, 10]);
  });

  it('formats ticks compactly', () => {
    expect(formatTick(0.1)).toBe('0.1');
    expect(formatTick(1e5)).toBe('1e5');
    expect(formatTick(1e4)).toBe('1e4');
    expect(formatTick(2500)).toBe('2500');
    expect(formatTick(1e-4)).toBe('1e-4');
    expect(formatTick(250)).toBe('250');
  });

  it('places points on a log x axis by decade and skips unusable points', () => {
    const svg = renderLineChart({
      title: 'A & B',
      x: { label: 'eps', log: true, range: [1, 100] },
      y: { label: 'acc', range: [0, 1] },
      series: [
        {
          name: 's<1>',
          points: [
            [1, 0],
            [10, 0.5],
            [100, 1],
            [0, 0.3],
            [5, Number.NaN],
          ],
        },
      ],
      width: 500,
      height: 300,
      legend: 'right',
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('A &amp; B');
    expect(svg).toContain('s&lt;1&gt;');
    const poly = /<polyline[^>]*points="([^"]+)"/.exec(svg);
    expect(poly).not.toBeNull();
    const xy = (poly?.[1] ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(xy).toHaveLength(3); // x = 0 (log) and NaN dropped
    // Equal spacing per decade, y increasing upwards.
    const [a, b, c] = xy as [number[], number[], number[]];
    expect((b[0] as number) - (a[0] as number)).toBeCloseTo((c[0] as number) - (b[0] as number), 1);
    expect(a[1] as number).toBeGreaterThan(b[1] as number);
    expect(b[1] as number).toBeGreaterThan(c[1] as number);
  });

  it('draws dashed reference lines without markers', () => {
    const svg = renderLineChart({
      title: 't',
      x: { label: 'x' },
      y: { label: 'y' },
      series: [
        {
          name: 'ref',
          points: [
            [0, 1],
            [1, 1],
          ],
          dash: '6 4',
          markers: false,
        },
      ],
      legend: 'below',
    });
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).not.toContain('<circle');
  });

  it('draws a scatter without a polyline when line is false', () => {
    const svg = renderLineChart({
      title: 't',
      x: { label: 'x', log: true },
      y: { label: 'y', log: true },
      series: [
        {
          name: 'pts',
          points: [
            [1, 1],
            [100, 1000],
          ],
          line: false,
        },
      ],
    });
    expect(svg).not.toContain('<polyline');
    expect(svg.match(/<circle/g)).toHaveLength(3); // two points + the legend marker
  });
});
