import { archiveDatasetAction, archiveModelAction, deleteDatasetAction, deleteModelAction } from '@/app/actions/catalog';
import { ActionForm } from './ActionForm';

/**
 * Delete and archive buttons of a model or dataset page (shown to lab owners
 * and to the uploader). Deleting is refused while analyses use the object; the
 * refusal names them, and archiving hides it from the pickers instead.
 */
export function CatalogActions({ kind, lab, id, name, archived }: { kind: 'model' | 'dataset'; lab: string; id: string; name: string; archived: boolean }) {
  const idField = kind === 'model' ? 'modelId' : 'datasetId';
  const fields = (
    <>
      <input type="hidden" name="lab" value={lab} />
      <input type="hidden" name={idField} value={id} />
    </>
  );
  return (
    <div className="row catalog-actions">
      <ActionForm
        action={kind === 'model' ? archiveModelAction : archiveDatasetAction}
        submitLabel={archived ? `Restore ${kind}` : `Archive ${kind}`}
        buttonClass="secondary"
        successMessage={archived ? `Restored: offered for new analyses again.` : `Archived: hidden from the pickers, kept for its analyses.`}
        inline
      >
        {fields}
        <input type="hidden" name="archived" value={archived ? 'false' : 'true'} />
      </ActionForm>
      <ActionForm
        action={kind === 'model' ? deleteModelAction : deleteDatasetAction}
        submitLabel={`Delete ${kind}`}
        buttonClass="danger"
        confirm={`Delete ${kind} "${name}"${kind === 'model' ? ' and all its versions' : ''}? This cannot be undone.`}
        redirectTo={`/labs/${lab}`}
        inline
      >
        {fields}
      </ActionForm>
    </div>
  );
}
