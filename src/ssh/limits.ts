// Sizes of SSH packets that more than one stage must agree on.

/**
 * The largest data packet fumidai asks its peers to send on a channel, and the largest piece the recording tap passes
 * on: OpenSSH's 32 KiB packet size, less room for an inner packet's framing, so that with ProxyJump an inner packet
 * (data and its 30-100 bytes of framing) still fits one packet of the outer channel instead of spilling into a second.
 */
export const PIECE_BYTES = 32 * 1024 - 128;
