// src/database/redis_script_cache.h — the Lua scripts the guest has sent
// (EVAL, SCRIPT LOAD) by their SHA1, so that an EVALSHA is judged as the
// EVAL of its body with the arguments it passes now. One per askfirstd,
// shared by every Redis flow (src/interception_services.h): a script EVAL'd
// on one connection can be run by EVALSHA on another.
//
// Why: EVAL also caches its script on the server. `EVAL "return
// redis.call('pexpire', KEYS[1], ARGV[1])" 1 k 60000` is a write; the same
// script's `EVALSHA <sha> 1 k 0` deletes k, and EVALSHA alone shows no code
// (classifiers/redis_scripts.cpp judges it a write). With the body remembered
// the classifier sees `EVAL <body> 1 k 0`: destructive.
//
// Limits: at most kMaxRememberedScripts scripts and kMaxRememberedBytes of
// their text; past either nothing more is remembered and overflowed() turns
// true, after which an EVALSHA of an unknown SHA is judged the worst it could
// be (the session marks it incomplete) rather than laundered through a full
// cache. Scripts loaded on the server by others, before askfirst, are not
// known: their EVALSHA stays a flagged write (script-body-not-visible).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace askfirst::database {

// Scripts a busy application sends are a handful to a few hundred (each
// distinct Lua text once); these bounds keep a flood from growing memory.
inline constexpr std::size_t kMaxRememberedScripts = 4096;
inline constexpr std::size_t kMaxRememberedBytes = 32u << 20;

class RedisScriptCache {
public:
    // Remembers `body` under its SHA1 (what SCRIPT LOAD answers).
    void remember(std::string_view body);
    // The body whose SHA1 is `sha_hex` (any case, as Redis reads it).
    std::optional<std::string> body_of(std::string_view sha_hex) const;
    bool overflowed() const { return overflowed_; }

    // Lower-case hex SHA1 of `text`, as Redis names a script.
    static std::string sha1_hex(std::string_view text);

private:
    std::unordered_map<std::string, std::string> bodies_;
    std::size_t bytes_ = 0;
    bool overflowed_ = false;
};

}  // namespace askfirst::database
