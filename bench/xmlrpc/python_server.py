"""The Python side of the XML-RPC benchmark: the seed's threaded SimpleXMLRPCServer with add."""
import socketserver
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer


class AsyncXMLRPCServer(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


server = AsyncXMLRPCServer(("127.0.0.1", 0), SimpleXMLRPCRequestHandler, logRequests=False)
server.register_multicall_functions()
server.register_function(lambda x, y: x + y, "add")
print("listening http://127.0.0.1:%d/RPC2" % server.server_address[1], flush=True)
server.serve_forever()
