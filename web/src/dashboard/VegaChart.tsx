/**
 * Renders a Vega-Lite spec (the report's own spec builders, src/report/specs.ts) to SVG in the page. vega and
 * vega-lite are imported lazily so only the dashboard pays for them.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TopLevelSpec } from '../../../src/report/specs.js';

type VegaView = { finalize(): void; runAsync(): Promise<unknown> };

let libs: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;
const loadLibs = () => (libs ??= Promise.all([import('vega'), import('vega-lite')]));

export function VegaChart({ spec, label }: { spec: TopLevelSpec; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let view: VegaView | undefined;
    let cancelled = false;
    void loadLibs().then(
      async ([vega, vl]) => {
        if (cancelled || !ref.current) return;
        try {
          const compiled = vl.compile(spec).spec;
          const v = new vega.View(vega.parse(compiled), { renderer: 'svg', container: ref.current, hover: true });
          view = v;
          await v.runAsync();
          setError('');
        } catch (e) {
          setError((e as Error).message);
        }
      },
      (e: Error) => setError(`cannot load vega: ${e.message}`),
    );
    return () => {
      cancelled = true;
      view?.finalize();
    };
  }, [spec]);
  return (
    <figure class="chart" aria-label={label}>
      <div ref={ref} />
      {error && <figcaption class="error">{error}</figcaption>}
    </figure>
  );
}
