# shellcheck shell=bash disable=SC2034 # sourced by run.sh, whose arrays it fills
# make bench's mixed scenario (issue 18, "The tail"): bookings, single
# shows and pages of 1000 shows at once, each kind from its own wrk with
# its own latency figures, so that a tail which pages put on single
# reads (a worker busy with a page while a read waits behind it) shows
# in mixed-show's p99. Sourced by tests/bench/run.sh, whose run_bg,
# wrk_parse, check, cpu_window_* and dl_* it uses.
#
# The 64 connections are shared MIX_BOOK (32) booking 1 seat on a
# random spread show, MIX_SHOW (28) reading one, MIX_LIST (4) reading
# GET /shows?limit=1000, whose first page is those same shows.

# mixed_wrk KIND SECONDS: one kind's wrk, in the background (BG_PIDS).
mixed_wrk() {
    local conns path=/ env=(SHOW_FIRST="${FIRST[spread]}" SHOW_COUNT=1000)
    local script=(-s tests/bench/random_show.lua)
    case $1 in
        book) conns=${MIX_BOOK:-32};;
        show) conns=${MIX_SHOW:-28}
              env+=(BENCH_OP=show);;
        list) conns=${MIX_LIST:-4} path='/shows?limit=1000' script=();;
    esac
    env "${env[@]}" wrk -t1 -c"$conns" --latency -d"$2s" "${script[@]}" \
        "$BASE_URL$path" >"$STACK_DIR/mixed-$1.wrk" &
    BG_PIDS+=($!)
}

# bench_mixed: warm up, then the three kinds for SECS; rows mixed-book,
# mixed-show, mixed-list (each kind's figures) and mixed (all of them:
# req/s, errors and CPU per request; no percentiles, which do not add).
bench_mixed() {
    local kind req acked=0 all=0 non=0 err=0 rps=0
    sweep
    dl_start
    for kind in book show list; do mixed_wrk "$kind" "$WARM"; done
    wait "${BG_PIDS[@]}"
    BG_PIDS=()
    MARK=$(sql "SELECT coalesce(max(id), 0) FROM bookings")
    cpu_window_begin
    for kind in book show list; do mixed_wrk "$kind" "$SECS"; done
    wait "${BG_PIDS[@]}"
    cpu_window_end mixed
    for kind in book show list; do
        read -r RPS[mixed-$kind] P50[mixed-$kind] P99[mixed-$kind] req NON[mixed-$kind] \
            ERR[mixed-$kind] < <(wrk_parse "$STACK_DIR/mixed-$kind.wrk") \
            || { say "mixed-$kind: no figures from wrk"; exit 2; }
        [ "$kind" != book ] || acked=$(( req - ${NON[mixed-book]} ))
        all=$(( all + req )) non=$(( non + ${NON[mixed-$kind]} )) err=$(( err + ${ERR[mixed-$kind]} ))
        rps=$(awk -v a="$rps" -v b="${RPS[mixed-$kind]}" 'BEGIN { print a + b }')
        say "mixed-$kind: ${RPS[mixed-$kind]} req/s, p50 ${P50[mixed-$kind]} ms, p99 ${P99[mixed-$kind]} ms"
    done
    RPS[mixed]=$rps NON[mixed]=$non ERR[mixed]=$err P50[mixed]=- P99[mixed]=-
    NOTE[mixed]="book ${MIX_BOOK:-32} + show ${MIX_SHOW:-28} + list ${MIX_LIST:-4} connections"
    cpu_per_request mixed "$all"
    ACKED=$acked check mixed "${FIRST[spread]}" 1000
    dl_ended
    dl_settle mixed
}
