// charts.js: lightweight-charts (vendored from npm at build time into
// vendor/) with the dashboard's theme.
import {
  createChart, AreaSeries, LineSeries, CandlestickSeries, HistogramSeries,
  BaselineSeries, createSeriesMarkers, LineStyle, CrosshairMode,
} from './vendor/lightweight-charts.mjs';

export {
  AreaSeries, LineSeries, CandlestickSeries, HistogramSeries, BaselineSeries,
  createSeriesMarkers, LineStyle,
};

export const colors = {
  up: '#3fb68b', down: '#e5534b', text: '#aab4c3', grid: '#232a35',
  line: '#58a6ff', amber: '#d29922', violet: '#a371f7', teal: '#39c5cf',
  pink: '#db61a2', muted: '#6e7681',
};

export function makeChart(container, opts = {}) {
  return createChart(container, {
    autoSize: true,
    layout: {
      background: { color: 'transparent' }, textColor: colors.text,
      fontFamily: 'system-ui, sans-serif', fontSize: 11,
      panes: { separatorColor: '#30363d', enableResize: true },
    },
    grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    rightPriceScale: { borderColor: '#30363d' },
    timeScale: { borderColor: '#30363d', timeVisible: true, secondsVisible: false },
    crosshair: { mode: CrosshairMode.Normal },
    ...opts,
  });
}
