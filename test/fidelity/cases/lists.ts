import type { Case, CaseFile } from '../case-types.js';
import { CORE, cm } from './objects.js';

const CMS = `${CORE}/configmaps`;
const NAMES = ['items[].metadata.name'];

/** The five labelled ConfigMaps the list cases read (created by the first case). */
const setup: Case = {
  id: 'list/setup',
  steps: ['a', 'b', 'c', 'd', 'e'].map((n, i) => ({ method: 'POST' as const, path: CMS, body: cm(`l-${n}`, { tier: i < 2 ? 'front' : 'back', idx: String(i), ...(i === 4 ? { odd: 'yes' } : {}) }), compare: { fields: ['metadata.name'] } })),
};

const selector = (id: string, query: string): Case => ({ id: `list/${id}`, method: 'GET', path: `${CMS}?${query}`, compare: { fields: NAMES } });

export const lists: CaseFile = {
  namespace: 'fid-lists',
  cases: [
    setup,
    { id: 'list/items-without-type-meta', method: 'GET', path: `${CMS}?labelSelector=tier%3Dfront`, compare: { fields: ['items[].kind', 'items[].apiVersion', ...NAMES] } },
    { id: 'list/all', method: 'GET', path: CMS, compare: { fields: ['kind', 'apiVersion', ...NAMES, 'metadata.continue', 'metadata.remainingItemCount'] } },
    { id: 'list/limit-2', method: 'GET', path: `${CMS}?limit=2`, compare: { fields: [...NAMES, 'metadata.continue', 'metadata.remainingItemCount'] } },
    {
      id: 'list/limit-continue',
      steps: [
        { method: 'GET', path: `${CMS}?limit=2`, save: 'p1', compare: { fields: NAMES } },
        { method: 'GET', path: `${CMS}?limit=2&continue=\${p1.metadata.continue}`, save: 'p2', compare: { fields: [...NAMES, 'metadata.remainingItemCount'] } },
        { method: 'GET', path: `${CMS}?limit=2&continue=\${p2.metadata.continue}`, compare: { fields: [...NAMES, 'metadata.remainingItemCount', 'metadata.continue'] } },
      ],
    },
    {
      id: 'list/continue-sees-snapshot',
      what: 'a page after a create still lists the first page\'s revision',
      steps: [
        { method: 'GET', path: `${CMS}?limit=3&labelSelector=idx`, save: 'p1', compare: { fields: NAMES } },
        { method: 'POST', path: CMS, body: cm('l-zz', { idx: '9' }), compare: 'none' },
        { method: 'GET', path: `${CMS}?limit=3&labelSelector=idx&continue=\${p1.metadata.continue}`, compare: { fields: NAMES } },
        { method: 'DELETE', path: `${CMS}/l-zz`, compare: 'none' },
      ],
    },
    { id: 'list/limit-with-selector', method: 'GET', path: `${CMS}?limit=1&labelSelector=tier%3Dback`, compare: { fields: [...NAMES, 'metadata.remainingItemCount'] } },
    { id: 'list/bad-continue', method: 'GET', path: `${CMS}?limit=1&continue=garbage`, compare: 'reason' },
    { id: 'list/rv0', method: 'GET', path: `${CMS}?resourceVersion=0`, compare: { fields: NAMES } },
    { id: 'list/rv0-limit', method: 'GET', path: `${CMS}?resourceVersion=0&limit=2&labelSelector=idx`, compare: { fields: [...NAMES, 'metadata.remainingItemCount'] } },
    { id: 'list/rv0-not-older-than', method: 'GET', path: `${CMS}?resourceVersion=0&resourceVersionMatch=NotOlderThan&labelSelector=idx`, compare: { fields: NAMES } },
    {
      id: 'list/rv-exact',
      steps: [
        { method: 'GET', path: `${CMS}?labelSelector=idx`, save: 'l', compare: { fields: NAMES } },
        { method: 'POST', path: CMS, body: cm('l-exact', { idx: '8' }), save: 'x', compare: 'none' },
        { method: 'GET', path: `${CMS}?labelSelector=idx&resourceVersion=\${l.metadata.resourceVersion}&resourceVersionMatch=Exact`, compare: { fields: NAMES } },
        // Not older than the create: both must wait for their cache to hold it. (Not older than the
        // first list may or may not hold it, by how soon each cache saw the create: a race, not a difference.)
        { method: 'GET', path: `${CMS}?labelSelector=idx&resourceVersion=\${x.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`, compare: { fields: NAMES } },
        { method: 'DELETE', path: `${CMS}/l-exact`, compare: 'none' },
      ],
    },
    { id: 'list/rv-exact-too-old', method: 'GET', path: `${CMS}?resourceVersion=1&resourceVersionMatch=Exact`, compare: 'reason' },
    { id: 'list/rv-bad', method: 'GET', path: `${CMS}?resourceVersion=abc`, compare: 'reason' },
    selector('label-equals', 'labelSelector=tier%3Dfront'),
    selector('label-double-equals', 'labelSelector=tier%3D%3Dback'),
    selector('label-not-equals', 'labelSelector=tier!%3Dfront'),
    selector('label-in', `labelSelector=${encodeURIComponent('idx in (0,3,4)')}`),
    selector('label-notin', `labelSelector=${encodeURIComponent('idx notin (0,3)')}`),
    selector('label-exists', 'labelSelector=odd'),
    selector('label-not-exists', `labelSelector=${encodeURIComponent('!odd')}`),
    selector('label-and', `labelSelector=${encodeURIComponent('tier=back,idx!=2')}`),
    selector('label-no-match', 'labelSelector=tier%3Dnone'),
    selector('field-name', 'fieldSelector=metadata.name%3Dl-c'),
    selector('field-name-not', 'fieldSelector=metadata.name!%3Dl-c&labelSelector=idx'),
    selector('field-namespace', 'fieldSelector=metadata.namespace%3Dfid-lists&labelSelector=tier'),
    selector('field-and-label', 'fieldSelector=metadata.name!%3Dl-a&labelSelector=tier%3Dfront'),
    { id: 'list/all-namespaces-field-namespace', method: 'GET', path: '/api/v1/configmaps?fieldSelector=metadata.namespace%3Dfid-lists&labelSelector=tier', compare: { fields: NAMES } },
    { id: 'list/table', method: 'GET', path: `${CMS}?labelSelector=tier%3Dfront`, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io', compare: { fields: ['kind', 'apiVersion', 'columnDefinitions[].name', 'rows[].object.metadata.name'] } },
    { id: 'list/metadata-only', method: 'GET', path: `${CMS}?labelSelector=tier%3Dfront&limit=1`, accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', compare: { fields: ['kind', 'apiVersion', 'items[].kind', ...NAMES, 'items[].data'] } },
  ],
};
