/**
 * A folder's own rows naming persons being erased, emptied inside leads' erasing transaction
 * (so an erasure is all or nothing). Each statement takes $1 the persons' ids (uuid[]), $2 their
 * captures' ids (uuid[]), $3 every address they ever gave, lower-case (text[]),
 * and $4 their timeline entries' ids (uuid[]).
 */
export interface AlsoErased {
  name: string;
  statements: string[];
}
