const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` is a UUID, so a path or cursor id can go into SQL as ::uuid without a cast error. */
export const isUuid = (id: string): boolean => UUID.test(id);
