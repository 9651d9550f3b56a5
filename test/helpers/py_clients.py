"""Drives a Python SSH library with its default algorithms, for test/clients.test.ts:
   py_clients.py paramiko|asyncssh HOST PORT USER KEY COMMAND LOCAL_UP REMOTE LOCAL_DOWN
runs COMMAND, uploads LOCAL_UP to REMOTE over sftp and downloads it to LOCAL_DOWN; prints one JSON line with the
exit status and the cipher the library negotiated. Host keys are not checked (the test pins nothing for these)."""
import json, sys

kind, host, port, user, key, command, local_up, remote, local_down = sys.argv[1:]
port = int(port)


def with_paramiko():
    import paramiko
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port, username=user, key_filename=key, look_for_keys=False, allow_agent=False, timeout=20)
    _, out, _ = client.exec_command(command)
    status = out.channel.recv_exit_status()
    sftp = client.open_sftp()
    sftp.put(local_up, remote)
    sftp.get(remote, local_down)
    t = client.get_transport()
    cipher = t.local_cipher
    client.close()
    return status, cipher


def with_asyncssh():
    import asyncio, asyncssh

    async def main():
        async with asyncssh.connect(host, port, username=user, client_keys=[key], known_hosts=None, agent_path=None) as conn:
            result = await conn.run(command)
            async with conn.start_sftp_client() as sftp:
                await sftp.put(local_up, remote)
                await sftp.get(remote, local_down)
            return result.exit_status, conn.get_extra_info('send_cipher')

    return asyncio.run(main())


status, cipher = with_paramiko() if kind == 'paramiko' else with_asyncssh()
print(json.dumps({'exit': status, 'cipher': cipher}))
