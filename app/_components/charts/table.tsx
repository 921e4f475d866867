'use client';
/**
 * The numbers behind a chart as a table, folded under it: rendered only when
 * opened, since a full layer's curve has thousands of rows.
 */
import { useState } from 'react';

export interface TableColumn {
  label: string;
  /** Right-aligned numbers. */
  num?: boolean;
  /** Monospace text (layer names). */
  mono?: boolean;
}

export function DataTable({ title, summary = 'Data table', columns, rows }: { title: string; summary?: string; columns: TableColumn[]; rows: () => { key: string; cells: (string | number)[] }[] }) {
  const [open, setOpen] = useState(false);
  const count = open ? rows() : null;
  const cls = (c: TableColumn) => (c.num ? 'num' : c.mono ? 'mono' : undefined);
  return (
    <details className="pc-chart-table" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{summary}</summary>
      {count ? (
        <div className="pc-chart-table-scroll">
          <table className="small">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.label} scope="col" className={c.num ? 'num' : undefined}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {count.map((r) => (
                <tr key={r.key}>
                  {r.cells.map((v, k) => (
                    <td key={k} className={cls(columns[k])}>
                      {v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </details>
  );
}
