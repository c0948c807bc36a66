import { DataSource } from 'typeorm';
import { ENTITIES } from '../entities';
import { SnakeNamingStrategy } from '../database/naming.strategy';
import { NOT_PERSONAL_DATA, PERSONAL_DATA } from './personal-data';

describe('the personal-data registry', () => {
  it('[SEC-ACCESS] classifies every column of every entity as personal (with a category) or not personal, once', async () => {
    // Metadata only: build it without connecting.
    const ds = new DataSource({ type: 'postgres', entities: ENTITIES, namingStrategy: new SnakeNamingStrategy() });
    await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
    const unclassified: string[] = [];
    const both: string[] = [];
    for (const meta of ds.entityMetadatas) {
      for (const column of meta.columns.filter((c) => !c.relationMetadata || c.propertyName.endsWith('Id'))) {
        const personal = Boolean(PERSONAL_DATA[meta.tableName]?.[column.propertyName]);
        const notPersonal = NOT_PERSONAL_DATA[meta.tableName]?.includes(column.propertyName) ?? false;
        if (!personal && !notPersonal) unclassified.push(`${meta.tableName}.${column.propertyName}`);
        if (personal && notPersonal) both.push(`${meta.tableName}.${column.propertyName}`);
      }
    }
    expect({ unclassified, both }).toEqual({ unclassified: [], both: [] });
  });

  it('names no column that does not exist', async () => {
    const ds = new DataSource({ type: 'postgres', entities: ENTITIES, namingStrategy: new SnakeNamingStrategy() });
    await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
    const columns = new Set(ds.entityMetadatas.flatMap((m) => m.columns.map((c) => `${m.tableName}.${c.propertyName}`)));
    const named = [
      ...Object.entries(PERSONAL_DATA).flatMap(([table, fields]) => Object.keys(fields).map((f) => `${table}.${f}`)),
      ...Object.entries(NOT_PERSONAL_DATA).flatMap(([table, fields]) => fields.map((f) => `${table}.${f}`)),
    ].filter((c) => c !== 'staff_user.password'); // the password as received in a request, never a column
    expect(named.filter((c) => !columns.has(c))).toEqual([]);
  });
});
