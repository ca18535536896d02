// tests/fuzz/fuzz_sql.cpp — libFuzzer target for the SQL classifier, both
// paths: the first byte picks the dialect (PostgreSQL goes through
// libpg_query and its fallbacks, the others through the tokenizer), the
// rest is the SQL text. Checks the verdict's shape and that a text and the
// same text in a one-element batch agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "classifiers/sql.h"

using namespace askfirst::classifiers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    constexpr SqlDialect kDialects[] = {SqlDialect::postgres, SqlDialect::mysql, SqlDialect::clickhouse,
                                        SqlDialect::sqlite, SqlDialect::generic};
    const SqlDialect dialect = kDialects[data[0] % 5];
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    const SqlVerdict verdict = classify_sql(text, dialect);
    if (verdict.operation.rfind("SQL ", 0) != 0) std::abort();
    if (verdict.tier > Tier::destructive) std::abort();
    const SqlVerdict again = classify_sql_batch({text}, dialect);
    if (again.tier != verdict.tier) std::abort();
    return 0;
}
