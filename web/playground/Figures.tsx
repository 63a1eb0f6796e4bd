/**
 * The run's plots, live: the same Vega-Lite specs as the report and the dashboard (src/report/specs.ts), drawn by the
 * dashboard's own chart component (web/src/dashboard/VegaChart.tsx).
 */
import { useMemo } from 'preact/hooks';
import { VegaChart } from '../src/dashboard/VegaChart.js';
import { gridworldCurves, gridworldFigures } from './gridworld.js';
import type { Session, SessionState } from './session.js';

export function Figures({ session, state }: { session: Session; state: SessionState }) {
  const run = session.domainRun;
  const charts = useMemo(() => {
    if (!run || state.rows.length === 0) return [];
    return [...gridworldFigures(run, state.iteration), ...gridworldCurves(state.rows, state.plan, run.experiment.optimalReturn)];
  }, [run, state.drawn]);
  if (charts.length === 0) return <p class="muted">The plots appear after the first iteration.</p>;
  return (
    <div class="figures pg-figures">
      {charts.map((c) => (
        <VegaChart key={c.key} spec={c.spec} label={c.label} />
      ))}
    </div>
  );
}
