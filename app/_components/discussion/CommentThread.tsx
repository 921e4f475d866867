'use client';

/**
 * A discussion thread any lab page can embed — server or client component:
 *
 *   <CommentThread lab={slug} analysisId={a.id} />                          // the analysis' own thread
 *   <CommentThread lab={slug} analysisId={a.id} layer="conv2" channel={7} /> // one channel's thread
 *
 * Without `initial` it loads from GET /api/v1/labs/:lab/analyses/:id/comments
 * (loading and error states included); server pages can pass the thread they
 * loaded with listThread() to render it at once. Writes go through the server
 * actions in ./actions.ts, which return the updated thread.
 *
 * Bodies are plain text rendered as React text children — never as HTML — so
 * `<script>` in a comment is shown, not run.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { CommentView, ThreadView } from '@/lib/server/shared/payloads';
import { useFormAction } from '@/app/_components/useFormAction';
import { deleteCommentAction, editCommentAction, postCommentAction, type ThreadState } from './actions';
import { exactTime, relativeTime } from './time';
import { useNow } from './useNow';

export const COMMENT_MAX = 5000;

export interface CommentThreadProps {
  /** The lab's slug (the [lab] segment of the URL). */
  lab: string;
  analysisId: string;
  /** Give both for a channel's thread; neither for the analysis' own thread. */
  layer?: string;
  channel?: number;
  /** Heading text; defaults to "Discussion" or "Comments on <layer> channel <n>". */
  title?: string;
  /** Heading level, to fit the embedding page's outline (default 2). */
  headingLevel?: 2 | 3 | 4;
  /** The thread as loaded on the server (listThread); skips the first fetch. */
  initial?: ThreadView;
}

type Ref = { layer: string; channel: number } | null;

const sameThread = (t: ThreadView | undefined | null, analysisId: string, ref: Ref) =>
  !!t && t.analysisId === analysisId && t.layer === (ref?.layer ?? null) && t.channel === (ref?.channel ?? null);

export function CommentThread({ lab, analysisId, layer, channel, title, headingLevel = 2, initial }: CommentThreadProps) {
  const ref: Ref = layer !== undefined && channel !== undefined ? { layer, channel } : null;
  const threadKey = `${analysisId}|${ref?.layer ?? ''}|${ref?.channel ?? ''}`;
  const [thread, setThread] = useState<ThreadView | null>(sameThread(initial, analysisId, ref) ? initial! : null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const uid = useId();
  const now = useNow();

  // Server-loaded data when it is for this thread (a newer server render, after an
  // action revalidated the page, replaces local state); otherwise fetch it.
  useEffect(() => {
    if (attempt === 0 && sameThread(initial, analysisId, ref)) {
      setThread(initial!);
      return;
    }
    const ctrl = new AbortController();
    const q = ref ? `?layer=${encodeURIComponent(ref.layer)}&channel=${ref.channel}` : '';
    setError(null);
    setThread(null);
    fetch(`/api/v1/labs/${encodeURIComponent(lab)}/analyses/${encodeURIComponent(analysisId)}/comments${q}`, { signal: ctrl.signal, cache: 'no-store' })
      .then(async (res) => {
        const body = await res.json().catch(() => null);
        if (!res.ok) throw new Error(`${body?.error ?? 'could not load the comments'} (${res.status})`);
        setThread(body as ThreadView);
      })
      .catch((err: Error) => {
        if (!ctrl.signal.aborted) setError(err.message);
      });
    return () => ctrl.abort();
    // threadKey stands for analysisId + ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lab, threadKey, attempt, initial]);

  const Heading = `h${headingLevel}` as 'h2' | 'h3' | 'h4';
  const heading = title ?? (ref ? `Comments on ${ref.layer} channel ${ref.channel}` : 'Discussion');
  const hidden = (
    <>
      <input type="hidden" name="lab" value={lab} />
      <input type="hidden" name="analysisId" value={analysisId} />
      {ref ? (
        <>
          <input type="hidden" name="layer" value={ref.layer} />
          <input type="hidden" name="channel" value={ref.channel} />
        </>
      ) : null}
    </>
  );
  const current = sameThread(thread, analysisId, ref) ? thread : null;

  return (
    <section className="disc-thread" aria-labelledby={`${uid}-h`} aria-busy={!current && !error} data-thread={threadKey}>
      <Heading id={`${uid}-h`}>
        {heading}
        {current ? <span className="small muted"> ({current.comments.length})</span> : null}
      </Heading>
      {error ? (
        <div className="alert error" role="alert">
          {error}{' '}
          <button type="button" className="linkish" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      ) : !current ? (
        <p className="disc-loading muted" role="status">
          Loading comments…
        </p>
      ) : (
        <>
          {current.comments.length === 0 ? (
            <p className="empty">No comments yet{current.canWrite ? ': start the discussion below.' : '.'}</p>
          ) : (
            <ol className="disc-list">
              {current.comments.map((c) => (
                <CommentItem key={c.id} comment={c} now={now} hidden={hidden} onThread={setThread} />
              ))}
            </ol>
          )}
          {current.canWrite ? (
            <NewComment uid={uid} label={ref ? `Comment on ${ref.layer} channel ${ref.channel}` : 'Add a comment'} hidden={hidden} onThread={setThread} />
          ) : (
            <p className="small muted">Viewers can read the discussion; members and owners can write.</p>
          )}
        </>
      )}
    </section>
  );
}

function ActionError({ state }: { state: ThreadState }) {
  if (!state || state.ok) return null;
  return (
    <p className="alert error" role="alert">
      {state.error}
      {state.status !== 400 ? <span className="small muted"> ({state.status})</span> : null}
    </p>
  );
}

function NewComment({ uid, label, hidden, onThread }: { uid: string; label: string; hidden: ReactNode; onThread: (t: ThreadView) => void }) {
  const { state, formAction, pending, onSubmit } = useFormAction<NonNullable<ThreadState>>(postCommentAction);
  const [body, setBody] = useState('');
  useEffect(() => {
    if (state?.ok) {
      onThread(state.data);
      setBody('');
    }
  }, [state, onThread]);
  return (
    <form action={formAction} onSubmit={onSubmit} className="disc-form">
      <ActionError state={state} />
      {hidden}
      <label htmlFor={`${uid}-body`}>{label}</label>
      <textarea id={`${uid}-body`} name="body" rows={3} maxLength={COMMENT_MAX} required value={body} onChange={(e) => setBody(e.target.value)} />
      <div className="spread">
        <span className="hint">
          Plain text · {body.length}/{COMMENT_MAX}
        </span>
        <button type="submit" disabled={pending}>
          {pending ? 'Posting…' : 'Post comment'}
        </button>
      </div>
    </form>
  );
}

function CommentItem({ comment: c, now, hidden, onThread }: { comment: CommentView; now: number; hidden: ReactNode; onThread: (t: ThreadView) => void }) {
  const [editing, setEditing] = useState(false);
  const edit = useFormAction<NonNullable<ThreadState>>(editCommentAction);
  const del = useFormAction<NonNullable<ThreadState>>(deleteCommentAction);
  const editButton = useRef<HTMLButtonElement>(null);
  const uid = useId();

  useEffect(() => {
    if (edit.state?.ok) {
      setEditing(false);
      onThread(edit.state.data);
    }
  }, [edit.state, onThread]);
  useEffect(() => {
    if (del.state?.ok) onThread(del.state.data);
  }, [del.state, onThread]);

  const close = () => {
    setEditing(false);
    // Keyboard users land back where they were.
    requestAnimationFrame(() => editButton.current?.focus());
  };

  return (
    <li className="disc-comment" id={`comment-${c.id}`} data-comment={c.id}>
      <div className="disc-meta small">
        <strong className="disc-author">{c.author.name}</strong>
        <span aria-hidden="true"> · </span>
        <time dateTime={c.createdAt} title={exactTime(c.createdAt)} suppressHydrationWarning>
          {relativeTime(c.createdAt, now)}
        </time>
        {c.editedAt ? (
          <span className="muted" title={`edited ${exactTime(c.editedAt)}`}>
            {' '}
            · edited
          </span>
        ) : null}
      </div>
      {editing ? (
        <form action={edit.formAction} onSubmit={edit.onSubmit} className="disc-form" onKeyDown={(e) => e.key === 'Escape' && close()}>
          <ActionError state={edit.state} />
          {hidden}
          <input type="hidden" name="commentId" value={c.id} />
          <label htmlFor={`${uid}-edit`} className="sr-only">
            Edit your comment
          </label>
          <textarea id={`${uid}-edit`} name="body" rows={3} maxLength={COMMENT_MAX} required defaultValue={c.body} autoFocus />
          <div className="row">
            <button type="submit" disabled={edit.pending}>
              {edit.pending ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p className="disc-body">{c.body}</p>
      )}
      {!editing && (c.canEdit || c.canDelete) ? (
        <div className="disc-tools row small">
          {c.canEdit ? (
            <button ref={editButton} type="button" className="linkish" onClick={() => setEditing(true)} aria-label={`Edit comment by ${c.author.name}`}>
              Edit
            </button>
          ) : null}
          {c.canDelete ? (
            <form
              action={del.formAction}
              onSubmit={(e) => {
                if (!window.confirm('Delete this comment?')) return e.preventDefault();
                del.onSubmit(e);
              }}
              style={{ display: 'inline' }}
            >
              {hidden}
              <input type="hidden" name="commentId" value={c.id} />
              <button type="submit" className="linkish disc-delete" disabled={del.pending} aria-label={`Delete comment by ${c.author.name}`}>
                {del.pending ? 'Deleting…' : 'Delete'}
              </button>
            </form>
          ) : null}
          <ActionError state={del.state} />
        </div>
      ) : null}
    </li>
  );
}
