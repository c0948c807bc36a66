import type { DataProvider, GetListParams } from 'react-admin';
import { api } from './api';

interface Page<T> { items: T[]; nextCursor: string | null }
// Records are whatever the API answers; each screen names the fields it shows.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = any;

/**
 * react-admin over the service's API. Lists are cursor-paged there: the provider remembers the
 * cursor that opens each page of a query (filters, sort, size), so next and previous work, and
 * answers with `pageInfo` (no total: counting a million rows would be the slowest part of a list).
 */
const cursors = new Map<string, (string | null)[]>();

/** Lists the API answers whole (short by nature: open privacy requests, keys, forms, rules), with no page size to send. */
const WHOLE = new Set(['privacy-requests', 'api-keys', 'intake-forms', 'screening-rules', 'screening-senders']);
/** Resources whose API path is not their name. */
const PATHS: Record<string, string> = { 'screening-rules': 'screening/rules', 'screening-senders': 'screening/senders' };
const path = (resource: string, id?: unknown) => `/api/${PATHS[resource] ?? resource}${id === undefined ? '' : `/${encodeURIComponent(String(id))}`}`;
/** Lists the API sorts; the others come in their one order. */
const SORTED = new Set(['persons']);

function listQuery(resource: string, params: GetListParams): { key: string; query: URLSearchParams; page: number } {
  const { page = 1, perPage = 50 } = params.pagination ?? {};
  const query = new URLSearchParams(WHOLE.has(resource) ? {} : { limit: String(perPage) });
  for (const [name, value] of Object.entries(params.filter ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    query.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const field = params.sort?.field;
  if (SORTED.has(resource) && field && field !== 'id') query.set('sort', `${params.sort!.order === 'ASC' ? '' : '-'}${field}`);
  return { key: query.toString(), query, page };
}

export const dataProvider: DataProvider = {
  async getList(resource, params) {
    const { key, query, page } = listQuery(resource, params);
    const known = cursors.get(`${resource}?${key}`) ?? [null];
    // A page whose cursor is not known (the query changed under it) starts again at the first.
    const at = page - 1 < known.length ? page - 1 : 0;
    const cursor = known[at];
    if (cursor) query.set('cursor', cursor);
    const body = await api<Page<Row> | Row[]>(`${path(resource)}?${query}`);
    const { items, nextCursor } = Array.isArray(body) ? { items: body, nextCursor: null } : body;
    known[at + 1] = nextCursor;
    cursors.set(`${resource}?${key}`, known);
    // On the last page the total is known without counting; before it, "of more than".
    const total = nextCursor === null ? at * (params.pagination?.perPage ?? 50) + items.length : undefined;
    return { data: items, total, pageInfo: { hasNextPage: nextCursor !== null, hasPreviousPage: at > 0 } };
  },
  async getOne(resource, { id }) {
    return { data: await api(path(resource, id)) };
  },
  async getMany(resource, { ids }) {
    return { data: await Promise.all(ids.map((id) => api<Row>(path(resource, id)))) };
  },
  async getManyReference(resource, params) {
    const { data, pageInfo } = await dataProvider.getList(resource, { ...params, filter: { ...params.filter, [params.target]: params.id } });
    return { data, pageInfo };
  },
  async create(resource, { data }) {
    const created = await api<Row>(path(resource), { method: 'POST', body: data });
    return { data: { ...data, ...created } };
  },
  async update(resource, { id, data, previousData }) {
    // Only what changed is sent: a rectification names the fields it corrects (and the audit shows them).
    const changed = Object.fromEntries(Object.entries(data).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(previousData?.[k])));
    const updated = await api<Row>(path(resource, id), { method: 'PATCH', body: changed });
    return { data: { ...previousData, ...updated, id } };
  },
  async updateMany() {
    throw new Error('Not offered: change records one at a time.');
  },
  async delete(resource, { id, previousData }) {
    await api(path(resource, id), { method: 'DELETE' });
    return { data: previousData as never };
  },
  async deleteMany(resource, { ids }) {
    await Promise.all(ids.map((id) => api(path(resource, id), { method: 'DELETE' })));
    return { data: ids };
  },
};
