// src/credentials/credential_sources.h — reading a credential entry's real
// value from its source on the host (issue 13): `env` (askfirstd's own
// environment), `file` (refused if group or others can read it), `command`
// (argv, no shell; stdout is the value). For aws-sigv4 the value is AWS's
// credential_process JSON ({"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken", "Expiration"}), or "KEYID:SECRET[:TOKEN]"; an `env` source
// naming AWS_ACCESS_KEY_ID reads AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN
// beside it.
//
// The I/O shell of the broker (src/credentials/credential_broker.h is
// sans-io). Values go straight into SecretBytes; the intermediate buffers
// are wiped. Errors name the entry and the source, never the value.
//
// Limits: a command runs synchronously (at startup, and again on the loop
// when its value expires) and is given kCommandTimeout to finish.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/credentials/credential_broker.h"
#include "src/profile.h"

namespace askfirst::credentials {

// A credential command that has not finished in this time is killed: AWS SSO
// or a vault CLI answers in seconds; a prompt waiting for a terminal never does.
inline constexpr std::chrono::seconds kCommandTimeout{30};

// Reads the value of one entry. A failure names the entry, never the value.
Result<RealCredential> resolve_credential(const CredentialSpec& spec);

// The broker's entries for the profile's `credentials`, every source read
// now (a source that fails stops startup with the entry's name).
Result<std::vector<BrokerEntry>> broker_entries_from_profile(const Profile& profile);

// The broker for a profile (a failure when a source fails); a profile
// without credentials gives a broker without entries.
Result<std::unique_ptr<CredentialBroker>> broker_for_profile(const Profile& profile);

// A `file` source's path with "~/" expanded to $HOME.
std::string expand_home(const std::string& path);

}  // namespace askfirst::credentials
