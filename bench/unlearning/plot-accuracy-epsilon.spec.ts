import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  accuracySeries,
  mergePlotSeries,
  withinRange,
  type PlotSeries,
} from './plot-accuracy-epsilon';

describe('the accuracy-against-ε plot is drawn from its data file', () => {
  it('certified series are lines over ε; an exact method is a dashed, marked line at its accuracy across the ε range, labelled exact', () => {
    const series = accuracySeries({
      series: [
        {
          key: 'a',
          label: 'A',
          guarantee: 'certified',
          points: [
            [0.5, 0.8],
            [2, 0.9],
          ],
        },
        { key: 'b', label: 'B', guarantee: 'exact', points: [[0, 0.85]] },
      ],
    });
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({
      name: 'A, certified',
      points: [
        [0.5, 0.8],
        [2, 0.9],
      ],
    });
    expect(series[0]?.dash).toBeUndefined();
    expect(series[1]).toMatchObject({
      name: 'B: exact, ε = 0, accuracy 0.850',
      markers: true,
      points: [
        [0.5, 0.85],
        [2, 0.85],
      ],
      dash: '6 4',
    });
  });

  it('a bench replaces its own series by key and by what it owns; the others stay', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lethe-plot-'));
    const file = path.join(dir, 'data.json');
    const exact = (key: string, accuracy: number): PlotSeries => ({
      key,
      label: key,
      guarantee: 'exact',
      points: [[0, accuracy]],
    });
    try {
      writeFileSync(
        file,
        JSON.stringify({
          title: 't',
          series: [exact('convex-retrain', 0.9), exact('sisa-shard-k2', 0.8)],
        }),
      );
      mergePlotSeries(file, [exact('sisa-shard-k4', 0.88)], (key) => key.startsWith('sisa-'));
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { title: string; series: PlotSeries[] };
      expect(doc.title).toBe('t');
      expect(doc.series.map((s) => s.key)).toEqual(['convex-retrain', 'sisa-shard-k4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the zoomed figure leaves out a series with no point in range and names it', () => {
    const series = accuracySeries({
      series: [
        { key: 'low', label: 'low (chance)', guarantee: 'certified', points: [[1, 0.1]] },
        { key: 'k4', label: 'sisa-shard k = 4', guarantee: 'exact', points: [[0, 0.891]] },
      ],
    });
    const { shown, hidden } = withinRange(series, [0.78, 0.96]);
    expect(shown.map((s) => s.name)).toEqual(['sisa-shard k = 4: exact, ε = 0, accuracy 0.891']);
    expect(hidden).toEqual(['low (chance), certified']);
  });
});
