// src/base/enum_table.h — a compile-time check that a table of rows keyed by an
// enum (its names, its policy row) has one row per value, in the enum's
// order, so adding a value without its row fails the build instead of
// reading past a table or falling back to a default name at run time.
//
//   static_assert(rows_follow_enum(kAnswerNames, &AnswerName::answer, Answer::deny));
#pragma once

#include <array>
#include <cstddef>

namespace askfirst {

template <typename Row, std::size_t N, typename Enum>
constexpr bool rows_follow_enum(const std::array<Row, N>& rows, Enum Row::*key, Enum last) {
    if (N != static_cast<std::size_t>(last) + 1) return false;
    for (std::size_t i = 0; i < N; ++i)
        if (rows[i].*key != static_cast<Enum>(i)) return false;
    return true;
}

}  // namespace askfirst
