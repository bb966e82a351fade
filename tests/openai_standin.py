"""A small stand-in for `vllm serve`, for the normal test suite (no vLLM needed): the parts of its OpenAI-compatible
API that `rlvr rollout --server` uses, answered by the tiny model on 127.0.0.1, plus ways to misbehave.

Like vLLM it takes prompts as token ids, seeds sample i of an n-sample request with seed + i, returns token_ids,
"token_id:N" tokens and processed logprobs (or raw ones, `logprobs_mode="raw"`), loads and unloads LoRA names (the
adapter's weights are not applied: the tests check which name each request asked for) and reloads full weights.
Faults: `die_after=k` answers k completion requests, then cuts the next reply off mid-body and stops listening;
`malformed=True` answers completions with a reply that has no token_ids; `lora=False` has no LoRA routes (as a
server started without VLLM_ALLOW_RUNTIME_LORA_UPDATING); `load_status=500` answers adapter loads with that error.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from rlvrkit.models import load_model
from rlvrkit.rollout.options import Sampling
from rlvrkit.rollout.sampling import filter_top_k_top_p, generators, next_tokens, scale


class StandIn:
    def __init__(
        self, model_dir, *, die_after=None, malformed=False, logprobs_mode="processed", lora=True, load_status=200
    ):
        self.root = str(model_dir)
        self.model = load_model(model_dir, dtype="float32", device="cpu").eval()
        self.eos = {int(self.model.config.eos_token_id)}
        self.die_after, self.malformed, self.mode, self.lora = die_after, malformed, logprobs_mode, lora
        self.load_status = load_status
        self.dead = False
        self.max_model_len = 1024
        self.adapters: dict[str, str] = {}
        self.asked: list[tuple[str, int]] = []  # (model name, samples) of each completion request answered
        self.calls: list[tuple[str, dict]] = []  # every control call (path, body)
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the API ----------------------------------------------------------------------------------------------------

    def models(self) -> dict:
        base = {"id": self.root, "object": "model", "root": self.root, "parent": None}
        base["max_model_len"] = self.max_model_len
        loras = [{"id": n, "root": p, "parent": self.root} for n, p in self.adapters.items()]
        return {"object": "list", "data": [base, *loras]}

    def complete(self, body: dict) -> dict:
        name = body["model"]
        if name != self.root and name not in self.adapters:
            raise LookupError(f"The model `{name}` does not exist.")
        params = Sampling(
            temperature=body["temperature"], top_p=body["top_p"], top_k=body["top_k"], max_tokens=body["max_tokens"]
        )
        choices = [self.sample(body["prompt"], params, body["seed"] + i, body["logprobs"], i) for i in range(body["n"])]
        with self.lock:
            self.asked.append((name, body["n"]))
        if self.malformed:
            for c in choices:
                del c["token_ids"]
        return {"object": "text_completion", "model": name, "choices": choices}

    @torch.inference_mode()
    def sample(self, prompt: list[int], params: Sampling, seed: int, top: int, index: int) -> dict:
        gen = generators([seed], "cpu")
        ids, logps, tops = [], [], []
        for _ in range(params.max_tokens):
            with self.lock:
                logits = self.model(torch.tensor([prompt + ids])).logits[:, -1].float()
            token, _ = next_tokens(logits, params, gen)
            kept = filter_top_k_top_p(scale(logits, params.temperature), params.top_k, params.top_p)
            shown = torch.log_softmax(kept if self.mode == "processed" else logits, -1)[0]
            best = shown.topk(max(top, 1))
            tops.append({f"token_id:{i}": max(float(v), -9999.0) for v, i in zip(best.values, best.indices.tolist())})
            ids.append(int(token))
            logps.append(float(shown[ids[-1]]))
            if ids[-1] in self.eos:
                break
        reason = "stop" if ids[-1] in self.eos else "length"
        return {
            "index": index,
            "text": "",
            "token_ids": ids,
            "logprobs": {"token_logprobs": logps, "tokens": [f"token_id:{i}" for i in ids], "top_logprobs": tops},
            "finish_reason": reason,
        }

    def control(self, path: str, body: dict) -> tuple[int, dict | str]:
        with self.lock:
            self.calls.append((path, body))
        if path == "/v1/load_lora_adapter" and self.lora:
            if not body.get("lora_name") or not body.get("lora_path"):
                return 400, {"error": {"message": "Field required", "code": 400}}
            if self.load_status != 200:
                return self.load_status, {"error": {"message": "out of memory", "code": self.load_status}}
            if body["lora_name"] in self.adapters:
                return 400, {"error": {"message": f"The lora adapter '{body['lora_name']}' has already been loaded."}}
            self.adapters[body["lora_name"]] = body["lora_path"]
            return 200, f"Success: LoRA adapter '{body['lora_name']}' added successfully."  # text, as vLLM's
        if path == "/v1/unload_lora_adapter" and self.lora:
            if self.adapters.pop(body.get("lora_name"), None) is None:
                return 404, {"error": {"message": "The lora adapter cannot be found.", "code": 404}}
            return 200, f"Success: LoRA adapter '{body['lora_name']}' removed successfully."
        if path == "/collective_rpc":
            if body.get("method") != "reload_weights":
                return 400, {"error": {"message": "Missing 'method' in request body", "code": 400}}
            with self.lock:
                self.model = load_model(body["kwargs"]["weights_path"], dtype="float32", device="cpu").eval()
            return 200, {"results": [None]}
        if path == "/reset_prefix_cache":
            return 200, {"success": True}
        return 404, {"detail": "Not Found"}


def _handler(server: StandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn

        def log_message(self, *args):  # quiet
            pass

        def reply(self, status: int, body: dict | str) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/v1/models":
                self.reply(200, server.models())
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            if server.dead:  # a killed server answers nothing, also on connections it had open
                self.close_connection = True
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.path != "/v1/completions":
                self.reply(*server.control(self.path, body))
                return
            with server.lock:
                left = server.die_after
                if left is not None:
                    server.die_after = left - 1
            if left is not None and left <= 0:
                self.die()
                return
            try:
                answer = server.complete(body)
            except LookupError as err:
                self.reply(404, {"error": {"message": str(err), "code": 404}})
                return
            self.reply(200, answer)

        def die(self) -> None:
            """Half a reply, then the connection and the listening socket close: a server killed mid-reply."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [{"ind')
            self.wfile.flush()
            self.close_connection = True
            server.dead = True
            threading.Thread(target=server.close, daemon=True).start()

    return Handler
