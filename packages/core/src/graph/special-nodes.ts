/** Type ids and field names of the nodes the graph engine gives special semantics to. */
export const ITERATE_TYPE = "iterate";
export const COLLECT_TYPE = "collect";
export const IF_TYPE = "if";

/** `iterate.collection` / `collect.collection` (input of iterate, output and optional input of collect). */
export const COLLECTION_FIELD = "collection";
/** `collect.item` (the only input that accepts many edges) and `iterate_output.item`. */
export const ITEM_FIELD = "item";
/** `iterate.index`, set by the scheduler on each iterate copy. */
export const INDEX_FIELD = "index";
export const CONDITION_FIELD = "condition";
export const TRUE_INPUT_FIELD = "true_input";
export const FALSE_INPUT_FIELD = "false_input";
