import { accuracySeries } from './plot-accuracy-epsilon';

describe('the accuracy-against-ε plot is drawn from its data file', () => {
  it('certified series are lines over ε; an exact method is a dashed line at its accuracy across the ε range', () => {
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
      name: 'B, ε = 0',
      points: [
        [0.5, 0.85],
        [2, 0.85],
      ],
      dash: '6 4',
    });
  });
});
