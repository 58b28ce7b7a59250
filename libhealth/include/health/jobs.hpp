#pragma once
// Jobs: runs that use every other module: maintain today.

#include <health/maintain.hpp>
#include <health/store.hpp>

namespace health {

// Runs maintain's steps on `store` (see maintain.hpp). Never throws for a
// failed step: the failure is in the report and the next step runs.
MaintainReport run_maintain(Store& store, const MaintainOptions& options);

} // namespace health
