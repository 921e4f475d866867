'use client';
/** Saves data the page already has as a JSON file (no extra request). */
export function DownloadJson({ data, filename, label }: { data: unknown; filename: string; label: string }) {
  const save = () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <button type="button" className="secondary ch-json" onClick={save}>
      {label}
    </button>
  );
}
