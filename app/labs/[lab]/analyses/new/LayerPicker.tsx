'use client';
import { useEffect, useRef } from 'react';

export interface LayerChoice {
  name: string;
  channels: number;
  mapHeight: number;
  mapWidth: number;
}

/**
 * The version's stored conv layers as checkboxes (all by default) with an
 * "all layers" box that shows the mixed state. `layerMode=pick` tells the
 * server that an empty selection is a mistake, not "all".
 */
export function LayerPicker({
  layers,
  checked,
  onChange,
  error,
}: {
  layers: LayerChoice[];
  checked: Set<string>;
  onChange: (next: Set<string>) => void;
  error?: string;
}) {
  const allRef = useRef<HTMLInputElement>(null);
  const all = checked.size === layers.length;
  useEffect(() => {
    if (allRef.current) allRef.current.indeterminate = checked.size > 0 && !all;
  }, [checked, all]);
  const total = layers.filter((l) => checked.has(l.name)).reduce((a, l) => a + l.channels, 0);
  return (
    <fieldset className={`pa-layers${error ? ' pa-field-invalid' : ''}`} aria-describedby={error ? 'an-layers-err an-layers-help' : 'an-layers-help'}>
      <legend>Layers</legend>
      <input type="hidden" name="layerMode" value={all ? 'all' : 'pick'} />
      <label className="pa-check pa-check-all">
        <input ref={allRef} id="an-layers" type="checkbox" checked={all} onChange={() => onChange(all ? new Set() : new Set(layers.map((l) => l.name)))} /> All conv layers (
        {layers.length})
      </label>
      <div className="pa-layer-list">
        {layers.map((l) => (
          <label key={l.name} className="pa-check">
            <input
              type="checkbox"
              name="layers"
              value={l.name}
              checked={checked.has(l.name)}
              onChange={(e) => {
                const next = new Set(checked);
                if (e.target.checked) next.add(l.name);
                else next.delete(l.name);
                onChange(next);
              }}
            />{' '}
            <span className="mono">{l.name}</span>{' '}
            <span className="hint">
              {l.channels} channels · {l.mapHeight}×{l.mapWidth}
            </span>
          </label>
        ))}
      </div>
      {error ? (
        <p id="an-layers-err" className="pa-field-error">
          {error}
        </p>
      ) : null}
      <p id="an-layers-help" className="pa-help">
        Each layer runs as its own task, so results appear layer by layer; {checked.size} layer{checked.size === 1 ? '' : 's'}, {total} channels
        selected.
      </p>
    </fieldset>
  );
}
