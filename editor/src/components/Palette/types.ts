/** The drag payload type of a palette item: the node type's name. */
export const PALETTE_MIME = 'application/x-waymark-node';
