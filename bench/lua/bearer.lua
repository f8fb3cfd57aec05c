-- GET with Authorization: Bearer $BENCH_TOKEN.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
