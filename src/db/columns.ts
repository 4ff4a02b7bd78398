// Every column of a table by name, for stores whose hot reads would otherwise be `select *`. A listed
// result keeps its shape when a migration adds a column, so the statement can stay prepared
// (src/db/prepared.ts); the record's type makes a column missing (or one too many) a compile error.
export const allColumns = <T>(columns: Record<keyof T & string, 1>): (keyof T & string)[] => Object.keys(columns) as (keyof T & string)[];
