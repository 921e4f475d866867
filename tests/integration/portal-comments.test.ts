/**
 * Comment threads and pins over the API and the server actions: create, list,
 * edit own, delete own (owners delete any), other labs' ids → 404, viewer
 * writes → 403, signed out → 401, bad input → 400 with a message, and a
 * script payload stored verbatim but rendered as text.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, callRoute, formOf as form, useTestDatabase } from '../helpers/db';
import { seedMembers } from '../helpers/lab-fixture';
import { db } from '../../lib/db/client';
import { createApiToken } from '../../lib/server/labs';
import * as comments from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/comments/route';
import * as comment from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/comments/[commentId]/route';
import * as pins from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/pins/route';
import * as pin from '../../app/api/v1/labs/[lab]/analyses/[analysisId]/pins/[pinId]/route';
import * as actions from '../../app/_components/discussion/actions';
import { CommentThread } from '../../app/_components/discussion/CommentThread';
import { PinnedChannels } from '../../app/_components/discussion/PinnedChannels';

useTestDatabase();

/** React's own form-replay bootstrap script (useActionState forms) is the only script allowed in the markup. */
const withoutReactScript = (html: string) => html.replace(/<script>addEventListener\("submit"[\s\S]*?<\/script>/, '');
const XSS = `<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes"`;
type Who = 'owner' | 'member' | 'member2' | 'viewer' | 'other';
const t: Record<Who, string> = {} as never;
const uid: Record<Who, string> = {} as never;
let A = { slug: 'lab-a', analysis: '', second: '' };
let B = { slug: 'lab-b', analysis: '', comment: '', pin: '' };

async function seedLab(slug: string, people: [Who, 'owner' | 'member' | 'viewer'][]) {
  const lab = await db.lab.create({ data: { slug, name: slug } });
  const ids = await seedMembers(lab.id, people.map(([who, role]) => [who, `${who[0].toUpperCase()}${who.slice(1)} ${slug}`, role] as const), (who) => `${who}@${slug}.org`);
  for (const [who] of people) {
    uid[who] = ids[who];
    t[who] = (await createApiToken(ids[who], 'tests')).token;
  }
  const owner = uid[people[0][0]];
  const layers = [
    { name: 'conv1', channels: 4 },
    { name: 'conv2', channels: 8 },
  ];
  const model = await db.model.create({ data: { labId: lab.id, name: 'net', createdById: owner } });
  const mv = await db.modelVersion.create({
    data: { modelId: model.id, version: 1, format: 'onnx', storagePath: 'x', sha256: 'x', sizeBytes: 1n, layers, inputShape: [1, 28, 28], outputShape: [10], createdById: owner },
  });
  const ds = await db.dataset.create({ data: { labId: lab.id, name: 'digits', kind: 'mnist', spec: {}, classes: [], counts: {}, createdById: owner } });
  const make = (layersSpec: unknown) =>
    db.analysis.create({ data: { labId: lab.id, modelVersionId: mv.id, datasetId: ds.id, target: { kind: 'class', index: 3 }, layers: layersSpec as never, options: {}, createdById: owner } });
  return { lab, analysis: (await make('all')).id, second: (await make(['conv1'])).id, owner };
}

beforeAll(async () => {
  const a = await seedLab('lab-a', [
    ['owner', 'owner'],
    ['member', 'member'],
    ['member2', 'member'],
    ['viewer', 'viewer'],
  ]);
  A = { slug: 'lab-a', analysis: a.analysis, second: a.second };
  const b = await seedLab('lab-b', [['other', 'owner']]);
  const c = await db.comment.create({ data: { labId: b.lab.id, analysisId: b.analysis, authorId: b.owner, body: 'B only' } });
  const p = await db.pin.create({ data: { labId: b.lab.id, analysisId: b.analysis, layerName: 'conv1', channelIndex: 0, userId: b.owner } });
  B = { slug: 'lab-b', analysis: b.analysis, comment: c.id, pin: p.id };
});

const P = (analysisId = A.analysis, lab = A.slug) => ({ lab, analysisId });
/** The API of one kind of item as `who`: the collection's GET and POST, the item's PATCH and DELETE (its id in the URL as `idParam`). */
function itemApi(collection: { GET: unknown; POST: unknown }, item: { PATCH: unknown; DELETE: unknown }, idParam: string) {
  return {
    list: (who: Who, query?: Record<string, string>, params = P()) => callRoute(collection.GET as never, '', { token: t[who], params, query }),
    post: (who: Who, json: unknown, params = P()) => callRoute(collection.POST as never, '', { token: t[who], params, json }),
    patch: (who: Who, id: string, json: unknown, params = P()) => callRoute(item.PATCH as never, '', { method: 'PATCH', token: t[who], params: { ...params, [idParam]: id }, json }),
    del: (who: Who, id: string, params = P()) => callRoute(item.DELETE as never, '', { method: 'DELETE', token: t[who], params: { ...params, [idParam]: id } }),
  };
}
const { list, post, patch, del } = itemApi(comments, comment, 'commentId');

describe('comments API', () => {
  let analysisComment = '';
  let channelComment = '';

  it('creates analysis and channel comments and lists each thread oldest first', async () => {
    // Textareas submit CRLF line breaks; they are stored as \n.
    expect((await post('member2', { body: 'line one\r\nline two\rthree' })).body.comment.body).toBe('line one\nline two\nthree');
    await db.comment.deleteMany({ where: { authorId: uid.member2 } });
    const first = await post('member', { body: '  Channel ranks look stable across k.  ' });
    expect(first.status).toBe(201);
    expect(first.body.comment).toMatchObject({ body: 'Channel ranks look stable across k.', layer: null, channel: null, author: { id: uid.member, name: 'Member lab-a' }, editedAt: null, canEdit: true, canDelete: true });
    analysisComment = first.body.comment.id;
    const onChannel = await post('owner', { body: 'conv2 #7 beats the null', layer: 'conv2', channel: 7 });
    expect(onChannel.status).toBe(201);
    channelComment = onChannel.body.comment.id;
    await post('member2', { body: 'second on the analysis' });

    const own = await list('member');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ analysisId: A.analysis, layer: null, channel: null, canWrite: true });
    expect(own.body.comments.map((c: { body: string }) => c.body)).toEqual(['Channel ranks look stable across k.', 'second on the analysis']);
    // Permissions are the caller's: the member may edit their own, not member2's.
    expect(own.body.comments.map((c: { canEdit: boolean; canDelete: boolean }) => [c.canEdit, c.canDelete])).toEqual([
      [true, true],
      [false, false],
    ]);
    const ch = await list('member', { layer: 'conv2', channel: '7' });
    expect(ch.body).toMatchObject({ layer: 'conv2', channel: 7 });
    expect(ch.body.comments.map((c: { id: string }) => c.id)).toEqual([channelComment]);
    expect((await list('member', { layer: 'conv2', channel: '6' })).body.comments).toEqual([]);
    expect((await list('member', { scope: 'all' })).body.comments).toHaveLength(3);
    // The owner may delete anyone's comment but edit only their own.
    const asOwner = await list('owner');
    expect(asOwner.body.comments[0]).toMatchObject({ canEdit: false, canDelete: true });
  });

  it('lets the author edit; nobody else, not even an owner', async () => {
    const res = await patch('member', analysisComment, { body: 'Ranks are stable across k = 3..9.' });
    expect(res.status).toBe(200);
    expect(res.body.comment.body).toBe('Ranks are stable across k = 3..9.');
    expect(Date.parse(res.body.comment.editedAt)).toBeGreaterThan(0);
    expect(await patch('member2', analysisComment, { body: 'hijack' })).toMatchObject({ status: 403, body: { error: 'only the author can edit a comment' } });
    expect((await patch('owner', analysisComment, { body: 'hijack' })).status).toBe(403);
    expect((await db.comment.findUnique({ where: { id: analysisComment } }))!.body).toBe('Ranks are stable across k = 3..9.');
  });

  it('lets the author or an owner delete', async () => {
    expect(await del('member', channelComment)).toMatchObject({ status: 403, body: { error: 'only the author or a lab owner can delete a comment' } });
    const mine = await post('member', { body: 'to be removed' });
    expect((await del('member', mine.body.comment.id)).status).toBe(200);
    const theirs = await post('member2', { body: 'an owner removes this' });
    expect(await del('owner', theirs.body.comment.id)).toMatchObject({ status: 200, body: { deleted: theirs.body.comment.id } });
    expect(await db.comment.count({ where: { id: { in: [mine.body.comment.id, theirs.body.comment.id] } } })).toBe(0);
    expect((await del('owner', theirs.body.comment.id)).status).toBe(404);
  });

  it("answers 404 for another lab's analysis or comment, and for a comment under the wrong analysis", async () => {
    const cases = [
      await list('member', undefined, P(B.analysis)),
      await list('member', undefined, P(B.analysis, B.slug)),
      await post('member', { body: 'x' }, P(B.analysis)),
      await patch('member', B.comment, { body: 'x' }),
      await patch('member', B.comment, { body: 'x' }, P(B.analysis)),
      await del('owner', B.comment, P(B.analysis)),
      await patch('member', analysisComment, { body: 'x' }, P(A.second)),
      await del('owner', analysisComment, P(A.second)),
      await list('member', undefined, P('no-such-analysis')),
    ];
    for (const res of cases) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/not found/);
    }
    expect((await db.comment.findUnique({ where: { id: B.comment } }))!.body).toBe('B only');
  });

  it('lets viewers read but not write (403)', async () => {
    expect((await list('viewer')).body).toMatchObject({ canWrite: false });
    expect((await list('viewer')).body.comments[0]).toMatchObject({ canEdit: false, canDelete: false });
    for (const res of [await post('viewer', { body: 'hello' }), await patch('viewer', analysisComment, { body: 'x' }), await del('viewer', analysisComment)]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/needs the member role in lab 'lab-a'; you are a viewer/);
    }
  });

  it('answers 401 without credentials', async () => {
    for (const res of [
      await callRoute(comments.GET as never, '', { params: P() }),
      await callRoute(comments.POST as never, '', { params: P(), json: { body: 'x' } }),
      await callRoute(comment.PATCH as never, '', { method: 'PATCH', params: { ...P(), commentId: analysisComment }, json: { body: 'x' } }),
      await callRoute(comment.DELETE as never, '', { method: 'DELETE', params: { ...P(), commentId: analysisComment } }),
    ])
      expect(res.status).toBe(401);
  });

  it('refuses bad input with a message naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ body: '   ' }, /invalid comment: body: is required/],
      [{}, /body: is required/],
      [{ body: 'x'.repeat(5001) }, /body: is longer than 5000 characters/],
      [{ body: 'nul \u0000' }, /body: may not contain NUL characters/],
      [{ body: 'x', layer: 'conv1' }, /channel: layer and channel go together/],
      [{ body: 'x', channel: 1 }, /layer and channel go together/],
      [{ body: 'x', layer: 'conv9', channel: 1 }, /unknown layer 'conv9'; this analysis covers: conv1, conv2/],
      [{ body: 'x', layer: 'conv1', channel: 4 }, /channel 4 is out of range: conv1 has 4 channels \(0–3\)/],
      [{ body: 'x', layer: 'conv1', channel: 1.5 }, /channel: must be an integer/],
      [{ body: 'x', colour: 'red' }, /colour/],
      [{ body: 42 }, /body: /],
    ];
    for (const [json, message] of cases) {
      const res = await post('member', json);
      expect(res.status, JSON.stringify(json).slice(0, 60)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    // conv2 is not among the second analysis' layers.
    expect((await post('member', { body: 'x', layer: 'conv2', channel: 0 }, P(A.second))).body.error).toMatch(/this analysis covers: conv1$/);
    expect((await patch('member', analysisComment, { body: '' })).body.error).toMatch(/body: is required/);
    const notJson = await callRoute(comments.POST as never, '', { token: t.member, params: P(), headers: { 'content-type': 'application/json' }, json: undefined, method: 'POST' });
    expect(notJson).toMatchObject({ status: 400, body: { error: 'body is not valid JSON' } });
    expect(await list('member', { layer: 'conv1' })).toMatchObject({ status: 400, body: { error: /layer and channel go together/ } });
    expect(await list('member', { layer: 'conv1', channel: 'abc' })).toMatchObject({ status: 400, body: { error: "channel must be a whole number, not 'abc'" } });
    expect(await list('member', { layer: 'conv1', channel: '9' })).toMatchObject({ status: 400, body: { error: /out of range/ } });
  });

  it('stores a script payload verbatim and renders it as text', async () => {
    const res = await post('member', { body: XSS, layer: 'conv1', channel: 2 });
    expect(res.status).toBe(201);
    const thread = await list('member', { layer: 'conv1', channel: '2' });
    expect(thread.body.comments[0].body).toBe(XSS);
    const html = renderToStaticMarkup(createElement(CommentThread, { lab: A.slug, analysisId: A.analysis, layer: 'conv1', channel: 2, initial: thread.body }));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quotes&quot;');
    expect(withoutReactScript(html)).not.toMatch(/<script|<img/i);
    expect(html).toContain('Comments on conv1 channel 2');
  });
});

describe('comment server actions', () => {
  it('post, edit and delete with the same checks, returning the updated thread', async () => {
    await actAs(uid.member2);
    const posted = await actions.postCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, layer: 'conv2', channel: '3', body: 'from the form' }));
    expect(posted).toMatchObject({ ok: true, data: { layer: 'conv2', channel: 3, canWrite: true } });
    const id = (posted as { data: { comments: { id: string; body: string }[] } }).data.comments.at(-1)!.id;
    const edited = await actions.editCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, layer: 'conv2', channel: '3', commentId: id, body: 'edited in the form' }));
    expect((edited as { data: { comments: { body: string }[] } }).data.comments.at(-1)!.body).toBe('edited in the form');
    expect(await actions.postCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, body: '' }))).toMatchObject({ ok: false, status: 400, error: /body: is required/ });
    expect(await actions.postCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, layer: 'conv2', channel: 'x', body: 'a' }))).toMatchObject({ ok: false, status: 400 });
    expect(await actions.postCommentAction(null, form({ lab: A.slug, analysisId: B.analysis, body: 'a' }))).toMatchObject({ ok: false, status: 404 });
    expect(await actions.postCommentAction(null, form({ lab: B.slug, analysisId: B.analysis, body: 'a' }))).toMatchObject({ ok: false, status: 404 });
    await actAs(uid.member);
    expect(await actions.editCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, commentId: id, body: 'not mine' }))).toMatchObject({ ok: false, status: 403 });
    expect(await actions.deleteCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, commentId: id }))).toMatchObject({ ok: false, status: 403 });
    await actAs(uid.viewer);
    expect(await actions.postCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, body: 'viewer' }))).toMatchObject({ ok: false, status: 403 });
    await actAs(null);
    expect(await actions.postCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, body: 'anon' }))).toMatchObject({ ok: false, status: 401 });
    await actAs(uid.owner);
    const deleted = await actions.deleteCommentAction(null, form({ lab: A.slug, analysisId: A.analysis, layer: 'conv2', channel: '3', commentId: id }));
    expect(deleted).toMatchObject({ ok: true, data: { comments: [] } });
  });
});

// ---------------------------------------------------------------- pins

const { list: listPins, post: addPin, patch: patchPin, del: delPin } = itemApi(pins, pin, 'pinId');

describe('pins API', () => {
  let memberPin = '';

  it('pins a channel with a note; pinning again updates the note', async () => {
    const res = await addPin('member', { layer: 'conv2', channel: 5, note: 'edge detector?' });
    expect(res.status).toBe(201);
    expect(res.body.pin).toMatchObject({ layer: 'conv2', channel: 5, note: 'edge detector?', user: { id: uid.member }, mine: true, canDelete: true, analysisId: A.analysis });
    memberPin = res.body.pin.id;
    const again = await addPin('member', { layer: 'conv2', channel: 5, note: 'edge detector, 45°' });
    expect(again.status).toBe(200);
    expect(again.body.pin).toMatchObject({ id: memberPin, note: 'edge detector, 45°' });
    expect((await addPin('owner', { layer: 'conv2', channel: 5 })).status).toBe(201);
    expect((await addPin('member2', { layer: 'conv1', channel: 0, note: '' })).body.pin.note).toBeNull();

    const all = await listPins('viewer');
    expect(all.status).toBe(200);
    expect(all.body.pins.map((p: { layer: string; channel: number }) => `${p.layer}#${p.channel}`)).toEqual(['conv1#0', 'conv2#5', 'conv2#5']);
    expect(all.body.pins.every((p: { canDelete: boolean }) => !p.canDelete)).toBe(true);
    expect((await listPins('member', { layer: 'conv2', channel: '5' })).body.pins).toHaveLength(2);
  });

  it('edits and removes own pins; owners remove anyone’s', async () => {
    expect(await patchPin('member', memberPin, { note: 'kept' })).toMatchObject({ status: 200, body: { pin: { note: 'kept' } } });
    expect((await patchPin('owner', memberPin, { note: 'not yours' })).status).toBe(403);
    const member2Pin = (await listPins('member2')).body.pins.find((p: { user: { id: string } }) => p.user.id === uid.member2).id;
    expect(await delPin('member', member2Pin)).toMatchObject({ status: 403, body: { error: /only the person who pinned a channel or a lab owner/ } });
    expect((await delPin('owner', member2Pin)).status).toBe(200);
    expect((await delPin('member', memberPin)).status).toBe(200);
    expect((await delPin('member', memberPin)).status).toBe(404);
    expect((await listPins('member')).body.pins.map((p: { user: { id: string } }) => p.user.id)).toEqual([uid.owner]);
  });

  it("answers 404 for other labs' ids, 403 for viewers, 401 signed out, 400 for bad input", async () => {
    for (const res of [
      await listPins('member', undefined, P(B.analysis)),
      await addPin('member', { layer: 'conv1', channel: 0 }, P(B.analysis)),
      await addPin('member', { layer: 'conv1', channel: 0 }, P(B.analysis, B.slug)),
      await patchPin('member', B.pin, { note: 'x' }),
      await delPin('owner', B.pin),
      await delPin('owner', B.pin, P(B.analysis)),
    ])
      expect(res.status).toBe(404);
    expect(await db.pin.count({ where: { id: B.pin } })).toBe(1);
    for (const res of [await addPin('viewer', { layer: 'conv1', channel: 0 }), await delPin('viewer', 'whatever'), await patchPin('viewer', 'whatever', { note: '' })]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/you are a viewer/);
    }
    expect((await callRoute(pins.POST as never, '', { params: P(), json: { layer: 'conv1', channel: 0 } })).status).toBe(401);
    expect((await callRoute(pins.GET as never, '', { params: P() })).status).toBe(401);
    const cases: [unknown, RegExp][] = [
      [{ layer: 'conv1' }, /invalid pin: channel: is required and must be a number/],
      [{ channel: 1 }, /layer: is required/],
      [{ layer: 'conv1', channel: -1 }, /channel: must be 0 or more/],
      [{ layer: 'conv1', channel: 1, note: 'n'.repeat(501) }, /note: is longer than 500 characters/],
      [{ layer: 'conv3', channel: 1 }, /unknown layer 'conv3'/],
      [{ layer: 'conv2', channel: 8 }, /channel 8 is out of range: conv2 has 8 channels/],
    ];
    for (const [json, message] of cases) {
      const res = await addPin('member', json);
      expect(res.status, JSON.stringify(json).slice(0, 60)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
  });

  it('stores a script payload in a note and renders it as text in the pinned list', async () => {
    const res = await addPin('member', { layer: 'conv1', channel: 3, note: XSS });
    expect(res.body.pin.note).toBe(XSS);
    const html = renderToStaticMarkup(createElement(PinnedChannels, { lab: A.slug, pins: (await listPins('member')).body.pins }));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(withoutReactScript(html)).not.toMatch(/<script|<img/i);
    expect(html).toContain('conv1 #3');
  });

  it('pin and unpin server actions check like the API', async () => {
    const f = (fields: Record<string, string>) => {
      const x = new FormData();
      for (const [k, v] of Object.entries(fields)) x.append(k, v);
      return x;
    };
    await actAs(uid.member2);
    const pinned = await actions.pinAction(null, f({ lab: A.slug, analysisId: A.analysis, layer: 'conv1', channel: '1', note: 'from the button' }));
    expect(pinned).toMatchObject({ ok: true, data: { pin: { layer: 'conv1', channel: 1, note: 'from the button', mine: true } } });
    const id = (pinned as { data: { pin: { id: string } } }).data.pin.id;
    expect(await actions.pinAction(null, f({ lab: A.slug, analysisId: A.analysis, layer: 'conv1', channel: '' }))).toMatchObject({ ok: false, status: 400, error: /channel/ });
    await actAs(uid.viewer);
    expect(await actions.unpinAction(null, f({ lab: A.slug, analysisId: A.analysis, pinId: id }))).toMatchObject({ ok: false, status: 403 });
    await actAs(uid.member);
    expect(await actions.unpinAction(null, f({ lab: A.slug, analysisId: A.analysis, pinId: id }))).toMatchObject({ ok: false, status: 403 });
    expect(await actions.unpinAction(null, f({ lab: A.slug, analysisId: B.analysis, pinId: B.pin }))).toMatchObject({ ok: false, status: 404 });
    await actAs(uid.member2);
    expect(await actions.unpinAction(null, f({ lab: A.slug, analysisId: A.analysis, pinId: id }))).toEqual({ ok: true, data: { pin: null } });
    expect(await db.pin.count({ where: { id } })).toBe(0);
  });
});
