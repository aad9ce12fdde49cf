# GET /shows pages: following Link rel="next" with limit=2 visits every
# show exactly once in (start_time, id) order, ties and microseconds
# included; the last page has no Link; limit defaults to 100.
source "$(dirname "$0")/lib.sh"

# create_show NAME START: a 10-seat show; prints its id.
create_show() {
    admin_post "{\"name\":\"t0300 $1\",\"start_time\":\"$2\",\"total_seats\":10}"
    [ "$STATUS" = 201 ] || echo "# create $1 at $2: $STATUS $BODY" >&2
    jget .show.id
}

# next_link: the target of the last answer's Link rel="next", if any.
next_link() {
    header Link | sed -n 's/^<\([^>]*\)>; *rel="next"$/\1/p'
}

# Seven shows in a year no other test uses, created out of order so that
# id order and time order differ: a tie of three (any three neighbours
# straddle a page boundary at limit=2), one a microsecond after the tie
# (a cursor that lost precision would skip or repeat it), and a tie of
# two given in another zone.
e=$(create_show E 2091-03-01T12:00:00.000001Z)
c=$(create_show C 2091-03-01T12:00:00Z)
g=$(create_show G 2091-03-02T09:00:00+02:00)
a=$(create_show A 2091-03-01T10:00:00Z)
b=$(create_show B 2091-03-01T12:00:00Z)
f=$(create_show F 2091-03-02T07:00:00Z)
d=$(create_show D 2091-03-01T12:00:00Z)
mine="$a $c $b $d $e $g $f"
check "seven shows created" eq "$(echo $mine | wc -w)" 7
req GET "/shows/$g"
check "a zone offset is stored as the UTC instant" eq "$(jget .start_time)" 2091-03-02T07:00:00Z

# Page through everything with limit=2.
next="/shows?limit=2"
pages=0 bad_pages=0 links_ok=1
: >"$TMP_T/ids"
while [ -n "$next" ] && [ "$pages" -lt 5000 ]; do
    req GET "$next"
    pages=$((pages + 1))
    next=$(next_link)
    n=$(jget length)
    # Every page is a 200 array; a page with a next one is full.
    if [ "$STATUS" != 200 ] || [ "$(jget type)" != array ] || [ "$n" -lt 1 ] \
       || { [ -n "$next" ] && [ "$n" -ne 2 ]; } || [ "$n" -gt 2 ]; then
        bad_pages=$((bad_pages + 1))
        echo "# page $pages: status $STATUS, $n shows, next '$next'"
    fi
    case $next in ""|"/shows?limit=2&cursor="*) ;; *) links_ok=0 ;; esac
    jget '.[].id' >>"$TMP_T/ids"
done
check "paging ended (no endless Link chain)" test -z "$next"
check "every page a 200 array of 2, the last of 1 or 2" eq "$bad_pages" 0
check "each Link keeps limit=2 and adds a cursor" eq "$links_ok" 1
check "the last page has no Link" test -z "$(header Link)"

expected_all=$(sql "SELECT id FROM shows ORDER BY start_time, id")
check "the pages hold every show once, in (start_time, id) order" \
    eq "$(echo $(cat "$TMP_T/ids"))" "$(echo $expected_all)"
check "no show on two pages" eq "$(sort "$TMP_T/ids" | uniq -d | head -n 3)" ""
for pair in A:$a B:$b C:$c D:$d E:$e F:$f G:$g; do
    check "show ${pair%:*} appears exactly once" eq "$(grep -cx "${pair#*:}" "$TMP_T/ids")" 1
done
check "ours come in (start_time, id) order: A, C, B, D, E, G, F" \
    eq "$(echo $(grep -xF -f <(printf '%s\n' $mine) "$TMP_T/ids"))" "$mine"

# The Link appears exactly when a row is left: limit = all, limit = all - 1.
total=$(sql "SELECT count(*) FROM shows")
req GET "/shows?limit=$total"
check "limit = number of shows: all of them, no Link" eq "$(jget length)/$(header Link)" "$total/"
req GET "/shows?limit=$((total - 1))"
check "limit = one fewer: a Link" test -n "$(next_link)"
req GET "$(next_link)"
check "... to a page holding just the last show" \
    eq "$(jget '[.[].id] | join(",")')/$(header Link)" "$(echo $expected_all | awk '{print $NF}')/"

# The default limit is 100: make sure there are more than 100 shows,
# late enough (2099) to sort after any other test's shows.
for i in $(seq "$total" 100); do
    create_show "filler $i" "2099-01-01T00:00:00Z" >/dev/null
done
total=$(sql "SELECT count(*) FROM shows")
req GET /shows
check "without limit: 100 shows ($total exist)" eq "$STATUS/$(jget length)" 200/100
check "without limit: the Link says limit=100" eq "$(next_link | sed 's/&cursor=.*//')" "/shows?limit=100"
check "without limit: the first 100 in order" eq "$(jget '[.[].id] | join(" ")')" \
    "$(echo $(sql "SELECT id FROM shows ORDER BY start_time, id LIMIT 100"))"

# The last instant RFC 3339 can write survives the round trip exactly
# (it once came back as year 10000), and pages like any other.
admin_post '{"name":"Last instant","start_time":"9999-12-31T23:59:59.999999Z","total_seats":1}'
last=$(jget .show.id)
check "9999-12-31T23:59:59.999999Z is stored and echoed exactly" \
    eq "$STATUS/$(jget .show.start_time)" "201/9999-12-31T23:59:59.999999Z"
req GET "/shows?limit=1&cursor=253402300799999998_1"
check "a cursor just before it finds it" eq "$(jget '.[0].id')" "$last"

# A page reads the parts by their own copy of the show's start time
# (migration 021): every part of every show, general admission and
# seated, has its show's.
check "every part carries its show's start time" \
    eq "$(sql "SELECT count(*) FROM show_parts p JOIN shows s ON s.id = p.show_id
                WHERE p.start_time IS DISTINCT FROM s.start_time")" 0
check "... and there are parts to check" \
    eval '[ "$(sql "SELECT count(*) FROM show_parts")" -gt 0 ]'
