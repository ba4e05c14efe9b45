import type { Case, CaseFile, Request } from '../case-types.js';
import { CORE, cm, pod } from './objects.js';

const CMS = `${CORE}/configmaps`;
const post = (name: string, labels: Record<string, string> = {}): Request => ({ method: 'POST', path: CMS, body: cm(name, labels), compare: 'none' });
const patch = (name: string, body: object): Request => ({ method: 'PATCH', path: `${CMS}/${name}`, body, compare: 'none' });
const del = (name: string): Request => ({ method: 'DELETE', path: `${CMS}/${name}`, compare: 'none' });
const list = (save: string, query = ''): Request => ({ method: 'GET', path: `${CMS}?${query}`, save, compare: 'none' });
const FIELDS = ['metadata.name', 'data', 'metadata.labels'];

/** A watch from the list's revision, then the changes: the events both send. */
function fromList(id: string, query: string, then: Request[], events: number): Case {
  return {
    id: `watch/${id}`,
    steps: [list('l', query), { watch: `${CMS}?watch=true&resourceVersion=\${l.metadata.resourceVersion}${query ? `&${query}` : ''}`, then, events, fields: FIELDS }],
  };
}

export const watch: CaseFile = {
  namespace: 'fid-watch',
  cases: [
    fromList('create-update-delete', 'labelSelector=w%3D1', [post('w1', { w: '1' }), patch('w1', { data: { a: '2' } }), del('w1')], 3),
    fromList('label-selector-leaving', 'labelSelector=w%3D2', [post('w2', { w: '2' }), patch('w2', { metadata: { labels: { w: 'gone' } } }), patch('w2', { metadata: { labels: { w: '2' } } })], 3),
    fromList('field-selector-name', 'fieldSelector=metadata.name%3Dw3', [post('w3x'), post('w3'), patch('w3', { data: { b: '1' } })], 2),
    fromList('noop-patch-sends-nothing', 'labelSelector=w%3D4', [post('w4', { w: '4' }), patch('w4', { data: { a: '1' } }), patch('w4', { data: { a: '3' } })], 2),
    {
      id: 'watch/initial-events-without-rv',
      steps: [post('w5a', { w: '5' }), post('w5b', { w: '5' }), { watch: `${CMS}?watch=true&labelSelector=w%3D5`, events: 2, fields: FIELDS }],
    },
    {
      id: 'watch/rv0-initial-events',
      steps: [post('w6', { w: '6' }), { watch: `${CMS}?watch=true&resourceVersion=0&labelSelector=w%3D6`, events: 1, fields: FIELDS }],
    },
    {
      id: 'watch/send-initial-events-bookmark',
      what: 'the WatchList protocol: initial ADDED events, then a BOOKMARK annotated initial-events-end',
      steps: [
        post('w7a', { w: '7' }),
        post('w7b', { w: '7' }),
        { watch: `${CMS}?watch=true&labelSelector=w%3D7&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, untilBookmark: true, fields: ['metadata.name', 'metadata.annotations', 'kind'] },
      ],
    },
    {
      id: 'watch/send-initial-events-without-bookmarks',
      steps: [post('w12a', { w: '12' }), post('w12b', { w: '12' }), { watch: `${CMS}?watch=true&labelSelector=w%3D12&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`, events: 2, fields: FIELDS }],
    },
    { id: 'watch/rv-match-without-send-initial-events', method: 'GET', path: `${CMS}?watch=true&resourceVersionMatch=NotOlderThan`, compare: 'reason' },
    {
      id: 'watch/410-gone-too-old',
      steps: [{ watch: `${CMS}?watch=true&resourceVersion=2`, events: 1, fields: ['kind', 'code', 'reason', 'status'] }],
    },
    {
      id: 'watch/all-namespaces',
      steps: [list('l', 'labelSelector=w%3D8'), { watch: `/api/v1/configmaps?watch=true&labelSelector=w%3D8&resourceVersion=\${l.metadata.resourceVersion}`, then: [post('w8', { w: '8' })], events: 1, fields: ['metadata.name', 'metadata.namespace'] }],
    },
    {
      id: 'watch/pod-lifecycle',
      what: 'a pod created, bound by the scheduler, run by its node: the first two events',
      steps: [
        { method: 'GET', path: `${CORE}/pods?labelSelector=w%3D9`, save: 'l', compare: 'none' },
        {
          watch: `${CORE}/pods?watch=true&labelSelector=w%3D9&resourceVersion=\${l.metadata.resourceVersion}`,
          then: [{ method: 'POST', path: `${CORE}/pods`, body: pod('w9', {}, { w: '9' }), compare: 'none' }],
          events: 2,
          fields: ['metadata.name', 'spec.nodeName', 'status.phase', 'status.conditions[].type'],
        },
      ],
    },
    {
      id: 'watch/pod-reaches-running',
      steps: [
        { method: 'GET', path: `${CORE}/pods?labelSelector=w%3D10`, save: 'l', compare: 'none' },
        {
          watch: `${CORE}/pods?watch=true&labelSelector=w%3D10&fieldSelector=status.phase%3DRunning&resourceVersion=\${l.metadata.resourceVersion}`,
          then: [{ method: 'POST', path: `${CORE}/pods`, body: pod('w10', {}, { w: '10' }), compare: 'none' }],
          events: 1,
          fields: ['metadata.name', 'status.phase', 'status.conditions[].type', 'status.conditions[].status', 'status.containerStatuses[].ready', 'status.containerStatuses[].started'],
        },
      ],
    },
    {
      id: 'watch/events-of-a-pod',
      steps: [
        { method: 'GET', path: `${CORE}/events?fieldSelector=involvedObject.name%3Dw11`, save: 'l', compare: 'none' },
        {
          watch: `${CORE}/events?watch=true&fieldSelector=involvedObject.name%3Dw11,source%3Ddefault-scheduler&resourceVersion=\${l.metadata.resourceVersion}`,
          then: [{ method: 'POST', path: `${CORE}/pods`, body: pod('w11'), compare: 'none' }],
          events: 1,
          fields: ['reason', 'involvedObject.kind', 'involvedObject.name', 'type'],
        },
      ],
    },
  ],
};
