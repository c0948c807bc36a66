/**
 * A folder's own rows naming persons being erased, emptied inside leads' erasing transaction
 * (so an erasure is all or nothing). Each statement takes $1 the persons' ids (uuid[]), $2 their
 * captures' ids (uuid[]), $3 every address they ever gave, lower-case (text[]),
 * and $4 their timeline entries' ids (uuid[]). They run together, as one statement's WITH queries:
 * each updates a table no other statement updates, and sees every table as it was before the erasure.
 */
export interface AlsoErased {
  name: string;
  statements: string[];
}
