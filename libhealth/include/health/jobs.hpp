#pragma once
// Jobs: runs that use every other module: maintain, push.

#include <health/maintain.hpp>
#include <health/push.hpp>
#include <health/store.hpp>

namespace health {

// Runs maintain's steps on `store` (see maintain.hpp). Never throws for a
// failed step: the failure is in the report and the next step runs.
MaintainReport run_maintain(Store& store, const MaintainOptions& options);

// Sends every point of the series of `options.filter` after the target's
// cursor (the history of export --format openmetrics: a gauge's values, a
// counter's running total, a summary's _count and _sum), in time order
// across series, `batch_samples` samples per request. Before a request goes
// its series note it as pending; once it is acknowledged their cursors move
// past it and the note goes (each step its own transaction), so nothing
// acknowledged is sent again and nothing unacknowledged is skipped. A
// request that got no answer, a 429 or a 5xx is tried again after a backoff
// (Retry-After when given), up to `retries` times. A request refused for
// its samples (400, 422) is sent again series by series, and the series
// still refused are skipped and counted; another answer (404, a redirect,
// 413) stops the push with Error(runtime), cursors kept. Running totals
// never go below what a series last sent. Points an earlier request may have delivered (its
// answer lost, here or in an earlier push that died) are sent first, on
// their own, exactly as before: refused as out of order, they were held
// already, and count as sent.
//
// One push at a time from a database (an advisory lock on
// `<database>-push.lock`; a dry run takes none). Throws Error(busy) when
// another push holds it, or when the receiver stayed unreachable (what was
// acknowledged stays so; the next push resumes), Error(runtime) on 401,
// 403 or an answer that is not about samples, Error(bad_data) when two series would be one Prometheus series.
PushReport push_remote_write(Store& store, const PushOptions& options, const RemoteWriteSend& send);

} // namespace health
